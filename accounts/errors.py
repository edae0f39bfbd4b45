"""The refusals of the accounts domain, each with a stable code (core/errors.py gives the kind,
and with it the HTTP status)."""

from core.errors import Conflict, InvalidInput, RateLimited, Unauthenticated


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
