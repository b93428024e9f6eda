"""visitors.forms.insights"""
