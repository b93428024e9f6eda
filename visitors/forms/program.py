"""visitors.forms.program"""
