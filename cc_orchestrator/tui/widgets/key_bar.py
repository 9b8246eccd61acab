"""The footer: the keys the focused pane offers, then the app's, as one line of text.

Textual's Footer builds a widget per key and rebuilds them all whenever the bindings change
(each focus move); at start-up that cost a third of the time to the first paint. This is one
Static; a click on a key runs its action, as with the Footer.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widgets import Static

KEY_STYLE = "bold #ffa62b"


class KeyBar(Static):
    def __init__(self) -> None:
        super().__init__(id="key-bar")
        self._spans: list[tuple[int, int, object, str]] = []  # start, end, namespace, action

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._changed)
        self._changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _changed(self, screen: Screen) -> None:
        if screen is not self.screen:
            return
        text, spans, seen = Text(no_wrap=True, overflow="ellipsis"), [], set()
        palette = None
        for namespace, binding, enabled, _ in screen.active_bindings.values():
            if binding.action == "command_palette":
                palette = (namespace, binding)
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            start = len(text)
            text.append(f" {self.app.get_key_display(binding)} ", KEY_STYLE if enabled else "dim")
            text.append(binding.description, "" if enabled else "dim")
            spans.append((start, len(text), namespace, binding.action))
            text.append(" ")
        if palette is not None:
            hint = f"{self.app.get_key_display(palette[1])} palette "
            gap = max(1, self.size.width - len(text) - len(hint))
            text.append(" " * gap)
            spans.append((len(text), len(text) + len(hint), palette[0], palette[1].action))
            text.append(hint, KEY_STYLE)
        self._spans = spans
        self.update(text)

    def on_resize(self) -> None:
        self._changed(self.screen)

    async def on_click(self, event: events.Click) -> None:
        for start, end, namespace, action in self._spans:
            if start <= event.x < end:
                await self.app.run_action(action, namespace)  # type: ignore[arg-type]
                return
