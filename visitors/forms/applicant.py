"""visitors.forms.applicant"""
