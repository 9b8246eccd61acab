"""The dashboard, the detail views and the help screen."""
