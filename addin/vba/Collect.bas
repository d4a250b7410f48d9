Attribute VB_Name = "Collect"
Option Explicit
' xxgk-report, receiving office: the button on the sheet calls CollectFolder.
' Excel's own dialogs ask for the inbox folder and (optionally) the roster; both paths go into
' the sheet (C4, C5), then one RunPython line (xlwings) runs addin/collect_button.py, which runs
' the same code as `xxgk collect`, writes the result into C6:C8 and opens the summary workbook.
' Keep this file ASCII: the dialog titles are the sheet's own labels (B4, B5).

Sub CollectFolder()
    Dim ws As Worksheet
    Dim folder As String
    Dim roster As Variant
    Set ws = ThisWorkbook.Worksheets(1)
    With Application.FileDialog(4)
        .Title = ws.Range("B4").Value
        .AllowMultiSelect = False
        If .Show <> -1 Then Exit Sub
        folder = .SelectedItems(1)
    End With
    roster = Application.GetOpenFilename("Excel, CSV (*.xlsx;*.xlsm;*.csv),*.xlsx;*.xlsm;*.csv", 1, ws.Range("B5").Value)
    ws.Range("C4").Value = folder
    If VarType(roster) = vbString Then
        ws.Range("C5").Value = roster
    Else
        ws.Range("C5").Value = ""
    End If
    RunPython "import importlib.util as u; b = u.find_spec('addin') and __import__('addin.collect_button').collect_button; b.collect_folder() if b else __import__('ctypes').windll.user32.MessageBoxW(0, '\u672c\u673a\u7684 Python \u6ca1\u6709\u5b89\u88c5 xxgk-report\u3002\u8bf7\u5728\u547d\u4ee4\u63d0\u793a\u7b26\u4e2d\u8fd0\u884c pip install xxgk-report\uff0c\u518d\u8fd0\u884c xxgk excel-setup\u3002', 'xxgk-report', 16)"
End Sub
