"""What is on stage: the organisers' control, the live state for phones, the projector.

Phones and the projector poll /stage.json every few seconds with If-None-Match and mostly
get a bodiless 304. Polling was chosen over Server-Sent Events on purpose: a thousand
delegates holding a stream open would each pin one of waitress's few worker threads,
while a 304 costs one small query and frees the thread at once.
"""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from ..i18n import format_day
from ..models import AgendaItem, VoteMethod, VoteState, utcnow
from ..numbers import whole_number
from ..services import congress as congress_service
from ..services import stage as stage_service
from ..services import votes as vote_service
from ..services.congress import StageState
from .access import organiser_required, own_or_404
from .editing import acting_user
from .tenancy import congress_or_404

bp = Blueprint("stage", __name__)

POLL_INTERVAL_MS = 5000


def _stage(congress) -> StageState:
    """On stage now: the organisers' choice, or else the clock."""
    return congress_service.on_stage(congress, utcnow(), current_app.config["CONGRESS_TIMEZONE"])


def _version(congress) -> str:
    stage = stage_service.live_version(congress, utcnow(), str(get_locale()))
    votes = hashlib.sha256(vote_service.screen_version(congress).encode()).hexdigest()[:12]
    return f"{stage}-{votes}"


def vote_json(congress, stage: StageState) -> dict | None:
    """The projector's vote: the question and state, the live "voted: N / present" while
    open (never the split), the result once closed; None when no vote is shown."""
    vote = vote_service.screen_vote(congress, stage.current)
    if vote is None:
        return None
    data = {"id": vote.id, "question": vote.question, "state": str(vote.state),
            "method": str(vote.method)}
    if vote.state == VoteState.OPEN:
        present = vote_service.present_count(vote)
        if vote.method == VoteMethod.PHONES:
            cast = vote_service.ballots_cast(vote)
            data |= {"voted": cast, "present": present,
                     "label": _("Voted: %(n)s / %(present)s", n=format_decimal(cast),
                                present=format_decimal(present))}
        else:
            data |= {"present": present, "label": _("Delegates present: %(n)s",
                                                    n=format_decimal(present))}
    else:
        result = vote_service.result(vote)
        data["result"] = result.as_json() if result else None
    return data


def poll_interval() -> int:
    """How often pages ask /stage.json, in milliseconds (tests make it shorter)."""
    return int(current_app.config.get("STAGE_POLL_INTERVAL_MS", POLL_INTERVAL_MS))


def stage_context() -> dict:
    """What the live parts of the home and programme pages need to poll."""
    return {"stage_poll_interval": poll_interval}


def _item_json(item: AgendaItem | None, same_day_as: AgendaItem | None = None) -> dict | None:
    if item is None:
        return None
    starts_at = item.starts_at.strftime("%H:%M") if item.starts_at else None
    other_day = same_day_as is None or same_day_as.session.date != item.session.date
    return {
        "id": item.id,
        "title": item.title,
        "presenter": item.presenter,
        "notes": item.notes,
        "starts_at": starts_at,
        "day": format_day(item.session.date) if other_day else "",
    }


def comments_json(congress) -> list[dict]:
    """The public documents taking comments now, with "comments received: N" for the hall."""
    return [
        {"code": d.code, "title": d.title, "count": n,
         "label": _("Comments received: %(num)s", num=format_decimal(n))}
        for d, n in stage_service.taking_comments(congress, utcnow())
    ]


def stage_json(stage: StageState) -> dict:
    """The stage as data. Only documents anyone may open are listed, so the answer is the
    same for every viewer (and safe for the public screen)."""
    current = _item_json(stage.current)
    if current is not None:
        current["documents"] = [
            {
                "code": d.code,
                "title": d.title,
                "url": url_for("public.document", code=d.code),
                "qr": url_for("public.document_qr", code=d.code, fmt="svg"),
            }
            for d in stage_service.public_documents(stage.current)
        ]
    return {"current": current, "next": _item_json(stage.next, stage.current)}


# Live state ---------------------------------------------------------------------------


@bp.get("/stage.json")
def state():
    """On stage now and next; 304 while nothing has moved since the caller's ETag."""
    congress = congress_or_404()
    version = _version(congress)
    if request.if_none_match.contains(version):
        response = current_app.response_class(status=304)
    else:
        stage = _stage(congress)
        response = jsonify({**stage_json(stage), "comments": comments_json(congress),
                            "vote": vote_json(congress, stage), "version": version})
    response.set_etag(version)
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")  # the language of the dates
    return response


# The projector ------------------------------------------------------------------------


@bp.get("/screen")
def screen():
    """The hall's projector: the item on stage and big QR codes of its public documents."""
    congress = congress_or_404()
    stage = _stage(congress)
    documents = stage_service.public_documents(stage.current) if stage.current else []
    vote = vote_service.screen_vote(congress, stage.current)
    return render_template(
        "stage/screen.html", congress=congress, stage=stage, documents=documents,
        taking_comments=comments_json(congress), vote=vote,
        vote_data=vote_json(congress, stage) if vote else None,
        vote_result=vote_service.result(vote) if vote else None,
    )


# The organisers' control ----------------------------------------------------------------


@bp.get("/organiser/stage")
@organiser_required
def control():
    """The programme with big buttons to say what is on stage; made for a phone."""
    congress = congress_or_404()
    return render_template(
        "stage/control.html", congress=congress, stage=_stage(congress),
        items=stage_service.programme_order(congress),
        flagged=bool(stage_service.flagged_ids(congress)), active="stage.control",
    )


def _seen_item(form) -> int | None | str:
    """The item the controller's page showed on stage: an id, None for nothing, or "" when
    the form did not say (an older page), which moves without the check."""
    seen = form.get("seen")
    if seen is None:
        return ""
    if seen == "":
        return None
    item_id = whole_number(seen)
    if item_id is None:
        abort(400)
    return item_id


def _back():
    return redirect(url_for("stage.control"))


def _on_stage_now(item: AgendaItem) -> None:
    flash(_("On stage now: %(title)s", title=item.title), "success")


@bp.post("/organiser/stage/<direction>")
@organiser_required
def move(direction: str):
    """One tap: the next (or previous) item in the programme goes on stage."""
    if direction not in (stage_service.NEXT, stage_service.PREVIOUS):
        abort(404)
    congress = congress_or_404()
    try:
        item = stage_service.step(congress, direction, acting_user(),
                                  _stage(congress).current, _seen_item(request.form))
    except stage_service.StageMovedOn as moved:
        flash(moved.message, "error")
        return control(), 409
    if item is None:
        flash(_("This is the last item of the programme.") if direction == stage_service.NEXT
              else _("This is the first item of the programme."), "info")
    else:
        _on_stage_now(item)
    return _back()


@bp.post("/organiser/stage/item/<int:item_id>")
@organiser_required
def put_on_stage(item_id: int):
    """Put one chosen item on stage."""
    congress = congress_or_404()
    item = own_or_404(AgendaItem, item_id)
    stage_service.set_on_stage(congress, item, acting_user())
    _on_stage_now(item)
    return _back()


@bp.post("/organiser/stage/clear")
@organiser_required
def clear():
    """Nobody chooses any more: the clock and the agenda's times decide what is on stage."""
    congress = congress_or_404()
    stage_service.set_on_stage(congress, None, acting_user())
    flash(_("The stage now follows the clock."), "success")
    return _back()
