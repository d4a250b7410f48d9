"""The publishable report (Word and web page) rendered from the same checked data as the JSON.

Nothing heavy is imported here: python-docx and Jinja2 load only inside the functions that
write a file, so ``import validator`` and the Excel 校验 button stay as fast as before.
"""
