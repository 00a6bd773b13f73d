"""Writes for people: sign-up, profiles, stakeholder groups, roles. Each change is audited."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from . import audit
from .errors import Conflict, NotAllowed, ValidationFailed
from .models import Stakeholder, StakeholderGroup
from .roles import FACILITATORS_GROUP, is_facilitator

User = get_user_model()

PROFILE_FIELDS = ("display_name", "affiliation", "group", "conflict_of_interest", "notify_by_email")


@transaction.atomic
def user_sign_up(
    *,
    username: str,
    password: str,
    email: str = "",
    display_name: str = "",
    group: StakeholderGroup | None = None,
    affiliation: str = "",
) -> User:
    """Create a user and their stakeholder profile in one step."""
    username = (username or "").strip()
    if not username:
        raise ValidationFailed("A username is required.", field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"The username {username!r} is taken.", field="username")
    user = User(username=username, email=(email or "").strip())
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field="password") from None
    user.set_password(password)
    try:
        user.save()
    except IntegrityError:
        raise Conflict(f"The username {username!r} is taken.", field="username") from None
    stakeholder = Stakeholder(user=user, display_name=display_name.strip() or username, group=group, affiliation=affiliation)
    stakeholder.full_clean()
    stakeholder.save()
    audit.record(actor=user, verb="user.signed_up", target=stakeholder)
    return user


def stakeholder_for(user) -> Stakeholder:
    """The user's profile, created on first need (e.g. for superusers made with createsuperuser)."""
    stakeholder, _ = Stakeholder.objects.get_or_create(user=user, defaults={"display_name": user.get_username()})
    return stakeholder


@transaction.atomic
def profile_update(*, user, **changes) -> Stakeholder:
    stakeholder = stakeholder_for(user)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationFailed(f"Unknown profile field(s): {', '.join(sorted(unknown))}.")
    before = {name: _plain(getattr(stakeholder, name)) for name in changes}
    for name, value in changes.items():
        setattr(stakeholder, name, value)
    if not (stakeholder.display_name or "").strip():
        raise ValidationFailed("A display name is required.", field="display_name")
    try:
        stakeholder.full_clean(exclude=["user"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationFailed(f"{field}: {' '.join(messages)}", field=field) from None
    stakeholder.save()
    after = {name: _plain(getattr(stakeholder, name)) for name in changes}
    changed = {k: [before[k], after[k]] for k in changes if before[k] != after[k]}
    if changed:
        audit.record(actor=user, verb="profile.updated", target=stakeholder, data={"changes": changed})
    return stakeholder


def _plain(value):
    if isinstance(value, StakeholderGroup):
        return value.slug
    return value


@transaction.atomic
def group_create(*, actor, name: str, slug: str = "", description: str = "") -> StakeholderGroup:
    if not is_facilitator(actor):
        raise NotAllowed("Only facilitators manage stakeholder groups.")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A group needs a name.", field="name")
    slug = slugify(slug or name)
    if not slug:
        raise ValidationFailed("A group needs a slug of letters, digits or hyphens.", field="slug")
    if StakeholderGroup.objects.filter(slug=slug).exists() or StakeholderGroup.objects.filter(name=name).exists():
        raise Conflict(f"A stakeholder group named {name!r} or with slug {slug!r} exists.", field="slug")
    group = StakeholderGroup.objects.create(name=name, slug=slug, description=description)
    audit.record(actor=actor, verb="group.created", target=group)
    return group


@transaction.atomic
def group_update(*, actor, group: StakeholderGroup, **changes) -> StakeholderGroup:
    if not is_facilitator(actor):
        raise NotAllowed("Only facilitators manage stakeholder groups.")
    for name in ("name", "description"):
        if name in changes:
            setattr(group, name, changes[name])
    group.full_clean()
    group.save()
    audit.record(actor=actor, verb="group.updated", target=group, data={"changes": sorted(changes)})
    return group


@transaction.atomic
def facilitator_grant(*, actor, user) -> None:
    """Make ``user`` a facilitator (``actor`` None means the system, e.g. load_demo)."""
    if actor is not None and not is_facilitator(actor):
        raise NotAllowed("Only facilitators appoint facilitators.")
    group, _ = Group.objects.get_or_create(name=FACILITATORS_GROUP)
    user.groups.add(group)
    user.__dict__.pop("_wb_is_facilitator", None)
    audit.record(actor=actor, verb="role.facilitator_granted", target=stakeholder_for(user))
