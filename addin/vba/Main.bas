Attribute VB_Name = "Main"
Option Explicit
' xxgk-report: the buttons on the sheets call these macros.
' Each is one RunPython line (xlwings): the Python side is addin/button.py -> addin/excel.py,
' the same rule engine as the xxgk command line. Keep this file ASCII: all Chinese text comes
' from Python (the escapes below are a message for a PC where the package is not installed).

Sub Validate()
    RunPython "import importlib.util as u; b = u.find_spec('addin') and __import__('addin.button').button; b.validate() if b else __import__('ctypes').windll.user32.MessageBoxW(0, '\u672c\u673a\u7684 Python \u6ca1\u6709\u5b89\u88c5 xxgk-report\u3002\u8bf7\u5728\u547d\u4ee4\u63d0\u793a\u7b26\u4e2d\u8fd0\u884c pip install xxgk-report\uff0c\u518d\u8fd0\u884c xxgk excel-setup\u3002', 'xxgk-report', 16)"
End Sub

Sub ExportJson()
    RunPython "import importlib.util as u; b = u.find_spec('addin') and __import__('addin.button').button; b.export_json() if b else __import__('ctypes').windll.user32.MessageBoxW(0, '\u672c\u673a\u7684 Python \u6ca1\u6709\u5b89\u88c5 xxgk-report\u3002\u8bf7\u5728\u547d\u4ee4\u63d0\u793a\u7b26\u4e2d\u8fd0\u884c pip install xxgk-report\uff0c\u518d\u8fd0\u884c xxgk excel-setup\u3002', 'xxgk-report', 16)"
End Sub

Sub RenderReport()
    RunPython "import importlib.util as u; b = u.find_spec('addin') and __import__('addin.button').button; b.render_report() if b else __import__('ctypes').windll.user32.MessageBoxW(0, '\u672c\u673a\u7684 Python \u6ca1\u6709\u5b89\u88c5 xxgk-report\u3002\u8bf7\u5728\u547d\u4ee4\u63d0\u793a\u7b26\u4e2d\u8fd0\u884c pip install xxgk-report\uff0c\u518d\u8fd0\u884c xxgk excel-setup\u3002', 'xxgk-report', 16)"
End Sub

Sub ClearMarks()
    RunPython "import importlib.util as u; b = u.find_spec('addin') and __import__('addin.button').button; b.clear_marks() if b else __import__('ctypes').windll.user32.MessageBoxW(0, '\u672c\u673a\u7684 Python \u6ca1\u6709\u5b89\u88c5 xxgk-report\u3002\u8bf7\u5728\u547d\u4ee4\u63d0\u793a\u7b26\u4e2d\u8fd0\u884c pip install xxgk-report\uff0c\u518d\u8fd0\u884c xxgk excel-setup\u3002', 'xxgk-report', 16)"
End Sub
