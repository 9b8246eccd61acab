"""Where tasks come from and where finished work goes: GitHub, Jira and Slack."""
