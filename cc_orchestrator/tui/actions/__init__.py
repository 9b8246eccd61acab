"""What the user asks for, done through the services in workers owned by the screen that asked.

A screen holds the action objects it needs (the dashboard all three; a detail view its own) and
calls them from its message handlers and key actions.
"""
