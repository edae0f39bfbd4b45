"""The refusals of the accounts domain, each with a stable code (core/errors.py gives the kind,
and with it the HTTP status)."""

from core.errors import Conflict, Forbidden, InvalidInput, RateLimited, Unauthenticated


class EmailTaken(InvalidInput):
    code = "email_taken"


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    default_message = "The email address or password is wrong."


class TooManyLoginAttempts(RateLimited):
    code = "too_many_login_attempts"
    default_message = "Too many failed sign-ins for this account; try again later."


class TooManyAddresses(Conflict):
    code = "too_many_addresses"


class InvalidLink(InvalidInput):
    """A signed link (verification, password reset, e-mail change, export download) that is
    malformed, was used already, or has expired: the caller is never told which."""

    code = "invalid_link"
    default_message = "This link is invalid, was used already or has expired. Ask for a new one."


class EmailChangeNeedsConfirmation(InvalidInput):
    code = "email_change_needs_confirmation"
    default_message = "Change your e-mail address at me/email/: the new address is confirmed by a link first."


class StaffAccountNotErasable(Forbidden):
    code = "staff_account_not_erasable"
    default_message = "Staff accounts are closed by an administrator, not erased here."


class ErasureBlocked(Conflict):
    code = "erasure_blocked"
    default_message = "The account cannot be erased yet."
