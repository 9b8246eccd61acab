"""Dialogs over a screen: confirm, send a prompt, the task form, the import form."""
