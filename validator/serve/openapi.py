"""The board's JSON API as an OpenAPI 3.1 document (served at ``/api/openapi.json``, shown at
``/api/docs``, committed as ``docs/openapi.json``; a test keeps the three and the routes in step)."""

from __future__ import annotations

from functools import cache

from validator import __version__

CODE: list[dict] = [{"code": []}]
OFFICE: list[dict] = [{"office": []}]


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _xlsx(description: str) -> dict:
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {"description": description, "content": {media: {"schema": {"type": "string", "format": "binary"}}}}


def _id(name: str = "id", what: str = "单位编号（/api/board 的 id）") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}, "description": what}


FILE_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "工作簿或 JSON（单个文件上限 50 MB）"}
                },
                "required": ["file"],
            }
        }
    },
}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _denied_office() -> dict:
    return {
        "401": _error("没有口令"),
        "403": _error("口令不正确，或用报送码调用上级机关的接口"),
        "429": _error("错误次数过多"),
    }


@cache
def spec() -> dict:
    """The OpenAPI document."""
    office = _denied_office()
    body_denied = {
        "403": _error("报送码不正确或已作废，或用上级机关口令调用单位的接口"),
        "429": _error("报送码错误次数过多（见 Retry-After）"),
    }
    review = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "version": {"type": "integer"},
                        "reason": {"type": "string", "maxLength": 4000},
                        "findings": {"type": "boolean", "description": "true：以该版的错误作为退回原因"},
                    },
                    "required": ["version"],
                }
            }
        },
    }
    paths = {
        "/api/submissions": {
            "post": {
                "summary": "单位报送（新的一版，到达即校验）",
                "security": CODE,
                "requestBody": FILE_BODY,
                "responses": {
                    "201": _json("已收到，待审核", ref("Submitted")),
                    **body_denied,
                    "409": _error("报告不是报送码所属单位的（message 中有两个名称）"),
                    "413": _error("文件超过上限"),
                    "422": _error("文件无法使用（code 与 xxgk check 相同）或年度不符（wrong-year）"),
                },
            }
        },
        "/api/submissions/mine": {
            "get": {
                "summary": "本单位的各版、状态、退回原因",
                "security": CODE,
                "responses": {"200": _json("本单位", ref("Body")), **body_denied},
            }
        },
        "/api/submissions/mine/{n}": {
            "get": {
                "summary": "本单位第 n 版的校验报告（xxgk check --json）",
                "security": CODE,
                "parameters": [_id("n", "版本号")],
                "responses": {"200": _json("校验报告", {"type": "object"}), **body_denied, "404": _error("没有这一版")},
            }
        },
        "/api/board": {
            "get": {
                "summary": "每个单位一行：状态、最新版本、错误和提示数",
                "security": OFFICE,
                "responses": {"200": _json("各单位", {"type": "array", "items": ref("BoardRow")}), **office},
            }
        },
        "/api/bodies/{id}": {
            "get": {
                "summary": "一个单位的各版",
                "security": OFFICE,
                "parameters": [_id()],
                "responses": {"200": _json("该单位", ref("Body")), **office, "404": _error("没有这个单位")},
            }
        },
        "/api/bodies/{id}/versions/{n}": {
            "get": {
                "summary": "第 n 版的校验报告（到达时的结果）",
                "security": OFFICE,
                "parameters": [_id(), _id("n", "版本号")],
                "responses": {"200": _json("校验报告", {"type": "object"}), **office, "404": _error("没有这一版")},
            }
        },
        "/api/bodies/{id}/versions/{n}/file": {
            "get": {
                "summary": "第 n 版上传的原始文件",
                "security": OFFICE,
                "parameters": [_id(), _id("n", "版本号")],
                "responses": {"200": {"description": "文件"}, **office, "404": _error("没有这一版或没有原始文件")},
            }
        },
        "/api/bodies/{id}/return": {
            "post": {
                "summary": "退回最新一版（写明原因，或 findings: true 以校验问题为原因）",
                "security": OFFICE,
                "parameters": [_id()],
                "requestBody": review,
                "responses": {
                    "200": _json("已退回", ref("Version")),
                    **office,
                    "404": _error("没有这一版"),
                    "409": _error("不是最新一版，或已通过／已退回（code: not-latest、already-已通过、already-已退回）"),
                    "422": _error("没有退回原因"),
                },
            }
        },
        "/api/bodies/{id}/approve": {
            "post": {
                "summary": "通过最新一版",
                "security": OFFICE,
                "parameters": [_id()],
                "requestBody": review,
                "responses": {
                    "200": _json("已通过", ref("Version")),
                    **office,
                    "404": _error("没有这一版"),
                    "409": _error("不是最新一版，或已通过／已退回"),
                },
            }
        },
        "/api/bodies/{id}/diff": {
            "get": {
                "summary": "两版之间的不同：逐个单元格，文字部分逐段",
                "security": OFFICE,
                "parameters": [
                    _id(),
                    {"name": "from", "in": "query", "required": True, "schema": {"type": "integer"}},
                    {"name": "to", "in": "query", "required": True, "schema": {"type": "integer"}},
                ],
                "responses": {"200": _json("不同之处", ref("Diff")), **office, "404": _error("没有这一版")},
            }
        },
        "/api/bodies/{id}/submissions": {
            "post": {
                "summary": "上级机关代该单位上传（新的一版）",
                "security": OFFICE,
                "parameters": [_id()],
                "requestBody": FILE_BODY,
                "responses": {
                    "201": _json("已收到", ref("Submitted")),
                    **office,
                    "409": _error("报告不是该单位的"),
                    "422": _error("文件无法使用或年度不符"),
                },
            }
        },
        "/api/bodies/{id}/code": {
            "post": {
                "summary": "重新发放该单位的报送码（原码作废）",
                "security": OFFICE,
                "parameters": [_id()],
                "responses": {"200": _xlsx("报送码表"), **office, "404": _error("没有这个单位")},
            }
        },
        "/api/uploads": {
            "post": {
                "summary": "上级机关一次上传多份（按报告中的机关对应名单）",
                "security": OFFICE,
                "requestBody": FILE_BODY,
                "responses": {
                    "201": _json("每个文件的结果", {"type": "array"}),
                    "207": _json("有文件未接收", {"type": "array"}),
                    **office,
                },
            }
        },
        "/api/audit": {
            "get": {
                "summary": "审计记录与其核验结果",
                "security": OFFICE,
                "responses": {"200": _json("审计记录", ref("Audit")), **office},
            }
        },
        "/api/summary.xlsx": {
            "get": {
                "summary": "汇总工作簿（已通过的版本；pending=1 也计入待审核且无错误的版本，在“报送情况”中注明）",
                "security": OFFICE,
                "parameters": [{"name": "pending", "in": "query", "schema": {"type": "string", "enum": ["1"]}}],
                "responses": {"200": _xlsx("汇总"), **office},
            }
        },
        "/api/reminders.xlsx": {
            "get": {
                "summary": "催报名单（未报送、已退回未重报；逾期天数，名单有联系人、联系电话时列出）",
                "security": OFFICE,
                "responses": {"200": _xlsx("催报名单"), **office},
            }
        },
        "/api/codes": {
            "post": {
                "summary": "发放报送码：which=missing（尚无码的单位，默认）或 all（全部重发，原码作废）",
                "security": OFFICE,
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "properties": {"which": {"enum": ["missing", "all"]}}}
                        }
                    }
                },
                "responses": {"200": _xlsx("报送码表（单位、报送码、报送网址；A4）"), **office},
            }
        },
        "/api/check": {
            "post": {
                "summary": "只校验、不保存（与 xxgk check --json 相同）",
                "requestBody": FILE_BODY,
                "responses": {"200": _json("校验报告", {"type": "object"}), "422": _error("文件无法使用")},
            }
        },
    }
    version_schema = {
        "type": "object",
        "properties": {
            "version": {"type": "integer"},
            "year": {"type": "integer"},
            "received_at": {"type": "string"},
            "origin": {"enum": ["body", "office"]},
            "file": {"type": "string"},
            "check": {"enum": ["通过", "有提示", "有错误"]},
            "errors": {"type": "integer"},
            "warnings": {"type": "integer"},
            "status": {"enum": ["待审核", "已退回", "已通过"]},
            "current": {"type": "boolean"},
            "content_hash": {"type": "string"},
            "reason": {"type": ["string", "null"]},
            "reviews": {"type": "array"},
        },
    }
    board_row = {
        "type": "object",
        "required": ["id", "name", "status", "version", "errors", "warnings"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "status": {"enum": ["未报送", "待审核", "已退回", "已通过"]},
            "version": {"type": ["integer", "null"]},
            "errors": {"type": ["integer", "null"]},
            "warnings": {"type": ["integer", "null"]},
            "check": {"type": ["string", "null"]},
            "approved_version": {"type": ["integer", "null"]},
            "received_at": {"type": ["string", "null"]},
            "deadline": {"type": ["string", "null"]},
            "overdue_days": {"type": "integer"},
            "on_roster": {"type": "boolean"},
            "has_code": {"type": "boolean"},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "xxgk 收报 API",
            "version": __version__,
            "description": "下级单位用报送码报送年度报告；上级机关审核、退回、通过，下载汇总、催报名单和报送码。详见 docs/board-endpoints.md。",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "code": {"type": "apiKey", "in": "header", "name": "X-Xxgk-Code", "description": "本单位的报送码"},
                "office": {"type": "http", "scheme": "bearer", "description": "上级机关口令（启动 xxgk serve 时显示）"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "where": {"type": "string"},
                            },
                        }
                    },
                },
                "Version": version_schema,
                "BoardRow": board_row,
                "Body": {
                    "allOf": [
                        ref("BoardRow"),
                        {
                            "type": "object",
                            "properties": {
                                "year": {"type": "integer"},
                                "versions": {"type": "array", "items": ref("Version")},
                            },
                        },
                    ]
                },
                "Submitted": {
                    "type": "object",
                    "required": ["body", "version", "status", "report"],
                    "properties": {
                        "body": {"type": "string"},
                        "body_id": {"type": "integer"},
                        "version": {"type": "integer"},
                        "status": {"const": "待审核"},
                        "check": {"enum": ["通过", "有提示", "有错误"]},
                        "notes": {"type": "array", "items": {"type": "string"}},
                        "report": {"type": "object", "description": "xxgk check --json 的报告"},
                    },
                },
                "Diff": {
                    "type": "object",
                    "properties": {
                        "from": {"type": "integer"},
                        "to": {"type": "integer"},
                        "cells": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "ref": {"type": "string", "examples": ["表三!J4"]},
                                    "label": {"type": "string"},
                                    "old": {"type": "string"},
                                    "new": {"type": "string"},
                                    "key": {"type": "string"},
                                },
                            },
                        },
                        "narrative": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "key": {"type": "string"},
                                    "ref": {"type": "string"},
                                    "label": {"type": "string"},
                                    "changed": {"type": "boolean"},
                                    "diff": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "op": {"enum": ["equal", "delete", "insert"]},
                                                "text": {"type": "string"},
                                            },
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
                "Audit": {
                    "type": "object",
                    "properties": {
                        "events": {"type": "array"},
                        "verified": {"type": "boolean"},
                        "problems": {"type": "array", "items": {"type": "string"}},
                        "head": {"type": "string"},
                    },
                },
            },
        },
    }
