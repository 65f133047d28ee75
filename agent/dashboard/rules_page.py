"""The rules page: children and their limits, always-allowed apps, apps and categories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from agent.dashboard import rulesedit as edit
from agent.dashboard.language import _
from agent.dashboard.views import category_title, limit_title, windows_text
from agent.dashboard.web import Call, Routes, Web
from agent.i18n import formatting as fmt
from agent.service.agent import AgentError
from rules import presets
from rules.catalog import CATALOG
from rules.limits import limit_kind
from rules.model import SCREEN, TOTAL, WEEKDAYS, Child, Config, LimitSpec

__all__ = ["routes"]

ACTOR = "parent"


@dataclass(frozen=True)
class RuleRow:
    """One editable limit of a child."""

    key: str
    title: str
    kind: str
    daily: str
    weekend: str
    allowed: str
    own: bool  # written for this child (not only from the preset)
    note: str  # settings the form does not edit, kept as they are


@dataclass(frozen=True)
class ChildRules:
    """A child's section on the rules page."""

    index: int
    name: str
    accounts: str
    birth_year: str
    preset: str
    rows: list[RuleRow]
    choices: list[tuple[str, str]]  # keys without a limit yet
    always: list[tuple[str, str, bool]]  # (app id, title, always allowed)


def _day_name(wd: str) -> str:
    return fmt.weekday(dt.date(2024, 1, 1) + dt.timedelta(days=WEEKDAYS.index(wd)))


def _note(spec: LimitSpec) -> str:
    parts: list[str] = []
    for wd, minutes in spec.days:
        parts.append(_("{day}: {minutes} min").format(day=_day_name(wd), minutes=minutes))
    if spec.each is not None:
        parts.append(_("each app {minutes} min").format(minutes=spec.each))
    if spec.reminder_minutes:
        parts.append(_("reminder every {minutes} min").format(minutes=spec.reminder_minutes))
    if spec.allowed_weekend is not None:
        parts.append(
            _("weekend hours {hours}").format(hours=windows_text(spec.allowed_weekend) or "—")
        )
    for wd, windows in spec.allowed_days:
        parts.append(
            _("{day} hours {hours}").format(day=_day_name(wd), hours=windows_text(windows) or "—")
        )
    return "; ".join(parts)


def _kind_label(kind: str) -> str:
    return {
        "screen": _("Whole computer"),
        "total": _("Total"),
        "app": _("App"),
        "category": _("Category"),
    }.get(kind, kind)


def _title(config: Config, key: str) -> str:
    kind = limit_kind(config, key)
    app, cat = config.app(key), config.category(key)
    raw = app.title if app else cat.title if cat else key
    return limit_title(config, key, kind, raw)


def _child_rules(config: Config, index: int, child: Child) -> ChildRules:
    own = {s.key for s in child.limits}
    rows = []
    for key, spec in sorted(
        child.effective_limits().items(),
        key=lambda kv: (kv[0] != SCREEN, kv[0] != TOTAL, kv[0]),
    ):
        rows.append(
            RuleRow(
                key=key,
                title=_title(config, key),
                kind=_kind_label(limit_kind(config, key)),
                daily="" if spec.daily is None else str(spec.daily),
                weekend="" if spec.weekend is None else str(spec.weekend),
                allowed=windows_text(spec.allowed).replace("–", "-"),
                own=key in own,
                note=_note(spec),
            )
        )
    used = {r.key for r in rows}
    keys = [SCREEN, TOTAL, *(c.id for c in config.categories), *(a.id for a in config.apps)]
    choices = [(k, f"{_title(config, k)} ({k})") for k in keys if k not in used]
    always = [(a.id, a.title, a.id in child.always_allowed) for a in config.apps]
    return ChildRules(
        index,
        child.name,
        ", ".join(child.accounts),
        "" if child.birth_year is None else str(child.birth_year),
        child.preset or "",
        rows,
        choices,
        always,
    )


def rules_view(config: Config) -> dict[str, Any]:
    """Everything the rules template shows."""
    in_use = {s.key for c in config.children for s in c.limits} | {
        a for c in config.children for a in c.always_allowed
    }
    cats = {c.id: category_title(c.id, c.title) for c in config.categories}
    apps = [
        {
            "id": a.id,
            "title": a.title,
            "category": cats.get(a.category or "", "—"),
            "names": ", ".join(a.names) or "—",
            "catalog": a.from_catalog,
            "in_use": a.id in in_use,
        }
        for a in config.apps
    ]
    taken = {a.id for a in config.apps}
    groups: dict[str, list[tuple[str, str]]] = {}
    for app_id, entry in sorted(CATALOG.items(), key=lambda kv: kv[1].title.casefold()):
        if app_id not in taken:
            groups.setdefault(entry.category, []).append((app_id, entry.title))
    catalog = [(cats.get(c, c), items) for c, items in groups.items()]
    categories = [
        {
            "id": c.id,
            "title": cats[c.id],
            "apps": sum(1 for a in config.apps if a.category == c.id),
        }
        for c in config.categories
    ]
    return {
        "children": [_child_rules(config, i, c) for i, c in enumerate(config.children)],
        "apps": apps,
        "catalog": sorted(catalog),
        "categories": categories,
        "category_choices": sorted(cats.items(), key=lambda kv: kv[1].casefold()),
        "presets": [(n, presets.get(n).title) for n in presets.preset_names()],
    }


routes = Routes()  # /rules and its forms.


def _save(
    web: Web, anchor: str, build: Callable[[Config], Config], detail: dict[str, Any], done: str
) -> Response:
    agent = web.ctx.agent
    try:
        with agent.lock:
            agent.save_rules(build(agent.config), ACTOR, detail)
    except (edit.EditError, AgentError) as exc:
        return web.redirect(f"/rules#{anchor}", str(exc), error=True)
    return web.redirect(f"/rules#{anchor}", done)


@routes.page("/rules", parent=True)
def page(web: Web, call: Call) -> Response:
    agent = web.ctx.agent
    return web.render(call, "rules.html", **rules_view(agent.config))


@routes.action("/rules/limit")
def limit(web: Web, call: Call) -> Response:
    agent = web.ctx.agent
    name, key = call.get("child"), call.get("key")
    child = agent.config.child(name)
    anchor = f"child-{agent.config.children.index(child)}" if child else "children"
    try:
        if child is None:
            raise edit.EditError(_("There is no child named {name}.").format(name=name))
        if not key:
            raise edit.EditError(_("Choose what the limit is for."))
        if call.get("op") == "remove":
            agent.set_limit(name, key, None, ACTOR)
            done = _("Limit removed.")
        else:
            spec = edit.limit_spec(
                child,
                key,
                edit.parse_minutes(call.get("daily"), _("Daily limit")),
                edit.parse_minutes(call.get("weekend"), _("Weekend limit")),
                edit.parse_windows(call.get("allowed")),
            )
            agent.set_limit(name, key, spec, ACTOR)
            done = _("Limit saved for {child}.").format(child=child.name)
    except (edit.EditError, AgentError) as exc:
        return web.redirect(f"/rules#{anchor}", str(exc), error=True)
    return web.redirect(f"/rules#{anchor}", done)


@dataclass(frozen=True)
class RulesForm:
    """A form that changes the rules in one step: what it builds, logs and then says."""

    anchor: str  # the section of /rules to go back to
    build: Callable[[Config, Call], Config]
    detail: Callable[[Call], dict[str, Any]]  # for the event log
    done: Callable[[Call], str]  # the message shown after saving


def _app_title(call: Call) -> str:
    app_id = call.get("app")
    return CATALOG[app_id].title if app_id in CATALOG else ""


FORMS: dict[str, RulesForm] = {
    "/rules/always": RulesForm(
        "children",
        lambda c, f: edit.set_always_allowed(c, f.get("child"), f.getlist("app")),
        lambda f: {"child": f.get("child"), "always_allowed": f.getlist("app")},
        lambda f: _("Always-allowed apps saved for {child}.").format(child=f.get("child")),
    ),
    "/rules/child/add": RulesForm(
        "children",
        lambda c, f: edit.add_child(
            c, f.get("name"), f.get("accounts"), f.get("birth_year"), f.get("preset")
        ),
        lambda f: {"child_added": f.get("name")},
        lambda f: _("{child} was added.").format(child=f.get("name")),
    ),
    "/rules/child/update": RulesForm(
        "children",
        lambda c, f: edit.update_child(
            c, f.get("child"), f.get("accounts"), f.get("birth_year"), f.get("preset")
        ),
        lambda f: {"child": f.get("child")},
        lambda f: _("Saved the details of {child}.").format(child=f.get("child")),
    ),
    "/rules/child/remove": RulesForm(
        "children",
        lambda c, f: edit.remove_child(c, f.get("child")),
        lambda f: {"child_removed": f.get("child")},
        lambda f: _("{child} was removed from the rules.").format(child=f.get("child")),
    ),
    "/rules/app/catalog": RulesForm(
        "apps",
        lambda c, f: edit.add_catalog_app(c, f.get("app")),
        lambda f: {"app_added": f.get("app")},
        lambda f: _("App added: {app}.").format(app=_app_title(f)),
    ),
    "/rules/app/custom": RulesForm(
        "apps",
        lambda c, f: edit.add_custom_app(
            c, f.get("id"), f.get("title"), f.get("category"), f.get("names")
        ),
        lambda f: {"app_added": f.get("id")},
        lambda f: _("App added: {app}.").format(app=f.get("title") or f.get("id")),
    ),
    "/rules/app/remove": RulesForm(
        "apps",
        lambda c, f: edit.remove_app(c, f.get("app")),
        lambda f: {"app_removed": f.get("app")},
        lambda f: _("App removed: {app}.").format(app=f.get("app")),
    ),
    "/rules/category/add": RulesForm(
        "categories",
        lambda c, f: edit.add_category(c, f.get("id"), f.get("title")),
        lambda f: {"category_added": f.get("id"), "title": f.get("title")},
        lambda f: _("Category added: {title}.").format(title=f.get("title") or f.get("id")),
    ),
    "/rules/category/title": RulesForm(
        "categories",
        lambda c, f: edit.retitle_category(c, f.get("id"), f.get("title")),
        lambda f: {"category": f.get("id"), "title": f.get("title")},
        lambda f: _("Category renamed: {title}.").format(title=f.get("title")),
    ),
}


def _submit(form: RulesForm) -> Callable[[Web, Call], Response]:
    def handler(web: Web, call: Call) -> Response:
        return _save(
            web,
            form.anchor,
            lambda config: form.build(config, call),
            form.detail(call),
            form.done(call),
        )

    return handler


for _path, _form in FORMS.items():
    routes.action(_path)(_submit(_form))
