"""The dashboard's four panes and their parts."""
