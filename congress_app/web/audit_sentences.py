"""One readable sentence per audit event, in the viewer's language.

The trail stores an action code and its details as JSON ({"changed": ["discussion_group"]}).
Admins read sentences instead ("Đã sửa đại biểu số 2: tổ thảo luận"), so every action has
a template here (English msgid, Vietnamese in the vi catalog) filled with the details made
human: yes/no, field names by their form labels, kinds and visibilities by their labels,
times in the congress's time zone. tests/test_audit_sentences.py walks the code for every
action it records and fails on one missing from SENTENCES: add the new action's sentence
there. A detail a template does not use is added after it ("· key: value"), so nothing the
trail holds is hidden; an action unknown here (an old row) reads as its words and details.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..i18n import format_moment
from ..labels import (
    CLASSIFICATION_LABELS,
    COMMENT_AUTHORS_LABELS,
    COMMENT_SCOPE_LABELS,
    DELEGATE_KIND_LABELS,
    ROLE_LABELS,
    STANCE_LABELS,
    VISIBILITY_LABELS,
)
from .organiser_forms import CongressForm
from .roster_forms import DelegateForm


class Variants:
    """A sentence chosen by the value of one detail (published True or False …)."""

    def __init__(self, key: str, by_value: dict, default) -> None:
        self.key, self.by_value, self.default = key, by_value, default

    def pick(self, detail: dict):
        value = detail.get(self.key)
        return self.by_value.get(value, self.default) if isinstance(value, bool | str) \
            else self.default


SENTENCES = {
    "auth.login": _l("Signed in from %(address)s"),
    "auth.login_failed": _l("Failed sign-in as “%(username)s” from %(address)s"),
    "auth.login_paused": _l("Sign-in as “%(username)s” paused after too many attempts "
                            "(from %(address)s)"),
    "user.create": _l("Created the account “%(username)s” (%(role)s)"),
    "user.password_changed": _l("Changed the password of the account “%(username)s”"),
    "user.password_set": _l("Gave the account “%(username)s” a one-time password"),
    "user.update": _l("Changed the account “%(username)s”"),
    "user.deactivate": _l("Deactivated the account “%(username)s”"),
    "user.reactivate": _l("Reactivated the account “%(username)s”"),
    "auth.login_refused_demo": _l("Refused the published demo password of “%(username)s” "
                                  "(from %(address)s)"),
    "congress.create": _l("Set up the congress “%(slug)s”"),
    "congress.update": _l("Changed the congress details: %(changed)s"),
    "congress.export": _l("Downloaded the congress archive (%(full)s)"),
    "congress.import": _l("Restored a congress archive exported at %(exported_at)s: "
                          "%(documents)s documents, %(delegates)s delegates, "
                          "%(accounts)s accounts"),
    "congress.close": _l("Closed the congress"),
    "congress.reopen": _l("Reopened the congress (closed at %(closed_at)s)"),
    "congress.purge": _l("Purged the personal data: %(delegates)s delegate cards, "
                         "%(checkins)s check-ins removed"),
    "session.create": _l("Added the session “%(name)s”"),
    "session.update": _l("Changed the session “%(name)s”"),
    "session.move": _l("Moved the session %(direction)s"),
    "session.delete": _l("Deleted the session “%(name)s” with its items: %(items)s"),
    "item.create": _l("Added the agenda item “%(title)s”"),
    "item.update": _l("Changed the agenda item “%(title)s”"),
    "item.move": _l("Moved the agenda item %(direction)s"),
    "item.delete": _l("Deleted the agenda item “%(title)s”"),
    "item.link_document": _l("Linked document %(document)s to the agenda item"),
    "item.unlink_document": _l("Unlinked document %(document)s from the agenda item"),
    "item.move_document": _l("Moved document %(document)s %(direction)s in the agenda item"),
    "document.create": _l("Uploaded the document %(code)s “%(title)s”"),
    "document.replace": _l("Replaced the document's file (version %(version)s)"),
    "document.update": Variants("published", {
        True: _l("Published the document “%(title)s” (%(visibility)s)"),
        False: _l("Saved the document “%(title)s” unpublished (%(visibility)s)"),
    }, _l("Changed the document “%(title)s”")),
    "document.delete": _l("Deleted the document %(code)s"),
    "stage.set": _l("Put “%(title)s” on stage"),
    "stage.clear": _l("Left the stage to the clock"),
    "roster.import": _l("Imported the roster: added %(added)s; changed %(changed)s; "
                        "%(unchanged)s unchanged"),
    "delegate.create": _l("Added delegate No. %(number)s, %(name)s"),
    "delegate.update": _l("Changed delegate No. %(number)s: %(changed)s"),
    "delegate.deactivate": _l("Took delegate No. %(number)s off the roster"),
    "delegate.reactivate": _l("Put delegate No. %(number)s back on the roster"),
    "delegate.reissue": _l("Reissued the card of delegate No. %(number)s (card version "
                           "%(version)s)"),
    "delegate.checkin": _l("Checked in delegate No. %(number)s (%(method)s)"),
    "delegate.checkin_undo": _l("Undid the check-in of delegate No. %(number)s made at "
                                "%(checked_in_at)s"),
    "delegate.checkout": _l("Checked out delegate No. %(number)s (left early)"),
    "delegate.checkin_return": _l("Checked delegate No. %(number)s back in after leaving "
                                  "at %(left_at)s"),
    "delegate.absence": _l("Entered the reason for absence of delegate No. %(number)s: "
                           "%(reason)s"),
    "cards.print": _l("Printed %(count)s delegate cards"),
    "cards.print_one": _l("Printed the card of delegate No. %(number)s (card version "
                          "%(version)s)"),
    "audit.export": _l("Exported the audit log (%(filters)s)"),
    # Recorded by code merged from other branches (deleting, demo reset, first set-up).
    "congress.delete": _l("Deleted the congress “%(title)s” (%(slug)s): %(documents)s "
                          "documents, %(delegates)s delegates, %(checkins)s check-ins; "
                          "accounts deleted with it: %(accounts_deleted)s"),
    "delegate.delete": _l("Deleted delegate No. %(number)s, %(name)s"),
    "demo.reset": _l("Reset the demo congress"),
    # Góp ý: an organiser's window, a delegate's comments (recorded without an account).
    "comments.open": _l("Opened the document %(code)s for comments from %(opens_at)s until "
                        "%(closes_at)s (%(scope)s)"),
    "comments.close": _l("Closed the comments on the document %(code)s"),
    "comment.create": _l("Delegate No. %(delegate)s commented on the document %(code)s, "
                         "%(paragraph)s: %(stance)s"),
    "comment.update": _l("Delegate No. %(delegate)s changed a comment on the document "
                         "%(code)s, %(paragraph)s: %(stance)s"),
    "comment.withdraw": _l("Delegate No. %(delegate)s withdrew a comment on the document "
                           "%(code)s, %(paragraph)s"),
    # Góp ý, the secretariat's triage and the compiled report.
    "comment.classify": _l("Answered the comment No. %(comment)s on the document %(code)s, "
                           "%(paragraph)s: %(classification)s"),
    "comment.mark_duplicate": _l("Counted the comment No. %(comment)s on the document "
                                 "%(code)s with the comment No. %(original)s"),
    "comment.separate": _l("Counted the comment No. %(comment)s on the document %(code)s on "
                           "its own again (was with No. %(original)s)"),
    "comment.reanchor": _l("Moved the comments on the document %(code)s to its version "
                           "%(version)s: %(moved)s followed their paragraph, %(changed)s on a "
                           "changed paragraph, %(not_found)s not found in the new version"),
    "comments.adopt_report": _l("Adopted the compiled comments as the document %(code)s "
                                "(version %(version)s)"),
    # Biểu quyết.
    "vote.create": _l("Added the vote “%(question)s” (%(method)s, secret: %(secret)s)"),
    "vote.rule": _l("Set the passing rule of the votes: more than half of %(rule)s"),
    "vote.open": _l("Opened the vote “%(question)s” (passes with more than half of "
                    "%(rule)s)"),
    "vote.counts": _l("Entered the show of hands of the vote “%(question)s”: %(for)s for, "
                      "%(against)s against, %(abstain)s abstaining, %(present)s present "
                      "(reason for a different sum: %(reason)s)"),
    "vote.close": Variants("passed", {
        True: _l("Closed the vote “%(question)s”: %(for)s for, %(against)s against, "
                 "%(abstain)s abstaining of %(base)s: passed"),
        False: _l("Closed the vote “%(question)s”: %(for)s for, %(against)s against, "
                  "%(abstain)s abstaining of %(base)s: not passed"),
    }, _l("Closed the vote “%(question)s”")),
    "vote.annul": _l("Annulled the vote “%(question)s”: %(reason)s"),
    "instance.setup": _l("Created the first administrator “%(username)s” with the set-up "
                         "link"),
}

# Detail names shown after a sentence that does not use them, and in the fallback.
KEY_LABELS = {
    "address": _l("address"),
    "username": _l("username"),
    "layout": _l("layout"),
    "pin": _l("with PIN"),
    "group": _l("discussion group"),
    "without_checkin": _l("only those not checked in"),
    "via": _l("from"),
    "app_version": _l("app version"),
    "full": _l("full archive"),
    "cards_reissued": _l("cards reissued"),
    "cards_unchecked": _l("cards not checked"),
    "missing_accounts": _l("missing accounts"),
    "congress": _l("congress"),
    "present": _l("present"),
    "expected": _l("expected"),
    "alternates_present": _l("alternates present"),
    "guests_present": _l("guests present"),
    "present_by_unit": _l("present by unit"),
    "method": _l("method"),
    "number": _l("number"),
    "version": _l("version"),
    "title": _l("title"),
    "code": _l("code"),
    "name": _l("name"),
    "congress_id": _l("congress id"),
    "sessions": _l("sessions"),
    "agenda_items": _l("agenda items"),
    "versions": _l("file versions"),
    "audit_events": _l("audit events"),
    "comments": _l("comments"),
    "moved": _l("moved along"),
    "authors": _l("who may comment"),
    "share": _l("delegates sharing the group's opinion"),
    "size": _l("delegates in the group"),
    "ballots_removed": _l("ballots of the votes removed"),
}

VALUE_LABELS = {
    "method": {"scan": _l("card scanned"), "number": _l("number typed"),
               "hands": _l("show of hands"), "phones": _l("on the phones")},
    "rule": {"present": _l("the delegates present"), "convened": _l("the delegates convened"),
             "cast": _l("the votes cast")},
    "direction": {"up": _l("up"), "down": _l("down")},
    "full": {True: _l("personal data included"), False: _l("without personal data")},
    "via": {"web": _l("the web page"), "cli": _l("the command line")},
}

FIELD_FORMS = (DelegateForm, CongressForm)
TIMES = frozenset({"exported_at", "closed_at", "checked_in_at", "opens_at", "closes_at",
                   "left_at"})


def _field_label(name: str) -> str:
    """A stored field name as its form label, lower-cased to sit inside a sentence."""
    for form in FIELD_FORMS:
        unbound = getattr(form, name, None)
        if unbound is not None and getattr(unbound, "args", None):
            label = str(unbound.args[0])
            return label[:1].lower() + label[1:]
    return name.replace("_", " ")


def _scalar(key: str, value) -> str:
    """One value as words: yes/no, a label, a time, a number, the text itself."""
    labels = VALUE_LABELS.get(key, {})
    if isinstance(value, bool | str) and value in labels:
        return str(labels[value])
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "paragraph":  # a comment's anchor: § 12, or none for the whole document
        return _("§ %(n)s", n=value) if isinstance(value, int) else _("the whole document")
    if value is None or value == "":
        return "—"
    if key == "visibility" and value in VISIBILITY_LABELS:
        return str(VISIBILITY_LABELS[value])
    if key == "role" and value in ROLE_LABELS:
        return str(ROLE_LABELS[value])
    if key == "stance" and value in STANCE_LABELS:
        return str(STANCE_LABELS[value]).lower()
    if key == "classification" and value in CLASSIFICATION_LABELS:
        return str(CLASSIFICATION_LABELS[value]).lower()
    if key == "scope" and value in COMMENT_SCOPE_LABELS:
        return str(COMMENT_SCOPE_LABELS[value]).lower()
    if key == "authors" and value in COMMENT_AUTHORS_LABELS:
        return str(COMMENT_AUTHORS_LABELS[value]).lower()
    if key == "kind" and value in DELEGATE_KIND_LABELS:
        return str(DELEGATE_KIND_LABELS[value])
    if key in TIMES and isinstance(value, str):
        try:
            return format_moment(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def human(key: str, value) -> str:
    """Any stored detail as words: lists joined, field names translated, no Python reprs."""
    if key == "changed" and isinstance(value, dict):  # roster.import: {number: [fields]}
        if not value:
            return _("none")
        return "; ".join(_("No. %(number)s: %(fields)s", number=number,
                           fields=human("changed", fields)) for number, fields in value.items())
    if key == "changed" and isinstance(value, list):
        return ", ".join(_field_label(str(v)) for v in value) if value else _("nothing")
    if key == "added" and isinstance(value, list):
        return (_("No. %(numbers)s", numbers=", ".join(map(str, value)))
                if value else _("none"))
    if key == "filters" and isinstance(value, dict) and not value:
        return _("everything")
    if isinstance(value, list):
        shown = ", ".join(human(key, v) for v in value[:20])
        return (shown + " …" if len(value) > 20 else shown) if value else _("none")
    if isinstance(value, dict):
        return ", ".join(f"{_key_label(str(k))}: {human(str(k), v)}" for k, v in value.items())
    return _scalar(key, value)


def _key_label(key: str) -> str:
    label = KEY_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


class _Filled(dict):
    """The details for `%` formatting; notes which were used, "—" for a missing one."""

    def __init__(self, detail: dict) -> None:
        super().__init__()
        self.detail, self.used = detail, set()

    def __missing__(self, key: str) -> str:
        self.used.add(key)
        return human(key, self.detail[key]) if key in self.detail else "—"


def sentence(action: str, detail: dict) -> str:
    """The event as one sentence in the current language, with every detail in words."""
    template = SENTENCES.get(action)
    filled = _Filled(detail)
    if isinstance(template, Variants):
        filled.used.add(template.key)  # the sentence chosen says it
        template = template.pick(detail)
    if template is not None:
        text = str(template) % filled
    else:
        text = action.replace(".", " ").replace("_", " ").capitalize()
    rest = [f"{_key_label(k)}: {human(k, v)}" for k, v in detail.items() if k not in filled.used]
    return " · ".join([text, *rest])
