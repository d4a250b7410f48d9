"""Errors that end a command with a clear Chinese message instead of a traceback."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2


CODES = {
    "not-found": "文件不存在、不是文件或无法读取",
    "empty": "文件是空的",
    "too-large": "超过大小或数量上限（含“压缩炸弹”）",
    "encrypted": "文件（工作簿、Word 文档、PDF）设置了打开密码",
    "xls": "旧版 .xls 文件",
    "wps": "WPS 表格自己的格式（.et/.ett）",
    "not-xlsx": "不是本工具能读取的工作簿（.xlsx/.xlsm/.ods）或 JSON 文件",
    "damaged": "文件已损坏",
    "unsafe-xml": "含有不安全的 XML（DTD、实体声明）",
    "not-template": "不是本工具的填报模板（没有格式标记）",
    "unknown-format": "本工具不认识的格式",
    "template-version": "模板版本不符",
    "layout-changed": "缺少工作表或表格结构被改动",
    "bad-text": "文字含有控制字符或超过单元格上限",
    "bad-json": "JSON 不合格式",
    "bad-profile": "规则配置文件不可用",
    "bad-argument": "参数错误（如输出与输入为同一文件、未知的格式编号）",
    "cannot-write": "输出文件无法写入",
    "not-report": "不是政府信息公开工作年度报告（找不到报告的表格）",
    "old-format": "2019 试行格式（国办公开办函〔2019〕60号）的已发布报告，不按 2021 年格式导入",
    "no-table": "网页中没有表格（由脚本加载或只提供附件）",
    "bad-encoding": "无法识别文字编码",
    "doc": "旧版 Word（.doc）、RTF 或网页存档（.mht），需另存为 .docx",
    "no-text": "PDF 没有文字层（扫描件或图片），需要原文或带文字层的 PDF",
    "link-outside": "收件文件夹中指向文件夹以外的链接（不读取）",
    "aggregate": "以前生成的汇总报告，其中的单位已在本次汇总中（不再计入）",
    "unusable-input": "其他无法使用的输入",
}
"""Machine-readable reasons (``check --json`` prints ``{"error": {"code", "message", "where"}}``);
listed in docs/json.md so receiving tools can sort failures without parsing Chinese."""


class UnusableInput(Exception):
    """The input cannot be read as a report (exit code 2). `str(exc)` is for staff, `code`
    (one of :data:`CODES`) for programs."""

    default_code = "unusable-input"

    def __init__(self, message: str, *, where: str | None = None, code: str | None = None):
        self.where = where
        self.code = code or self.default_code
        super().__init__(f"{where}：{message}" if where else message)


class CannotWrite(UnusableInput):
    """An output file could not be written (disk full, no permission, no such folder…).

    Exit code 2 like unusable input: the cause is outside this tool and staff can act on it.
    The previous file at the target path, if any, is left exactly as it was.
    """

    default_code = "cannot-write"
