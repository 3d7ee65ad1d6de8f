"""Domain errors; each face maps them to its own responses once."""


class ServiceError(Exception):
    code = "BAD_REQUEST"
    status = 400

    def __init__(self, message=None):
        super().__init__(message or self.__class__.__doc__)
        self.message = message or (self.__class__.__doc__ or "").strip()


class NotFound(ServiceError):
    """The thing you asked for does not exist, or you may not see it."""

    code = "NOT_FOUND"
    status = 404


class PermissionDenied(ServiceError):
    """You are not allowed to do that."""

    code = "FORBIDDEN"
    status = 403


class Conflict(ServiceError):
    """That change is not possible in the ticket's current state."""

    code = "CONFLICT"
    status = 409


class NewerMessages(Conflict):
    """The thread gained public messages since you started writing; read them, then send again if still right."""

    def __init__(self, messages, message=None):
        self.messages = list(messages)  # the newer public messages, oldest first
        super().__init__(message)


class AuthenticationFailed(ServiceError):
    """The e-mail or password is not right."""

    code = "UNAUTHORIZED"
    status = 401


class ValidationError(ServiceError):
    """Some fields are not valid."""

    code = "VALIDATION_ERROR"
    status = 422

    def __init__(self, errors, message=None):
        # errors: {field name: message}
        self.errors = dict(errors)
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class TooManyAttempts(ServiceError):
    """Too many attempts in a short time; wait a little and try again."""

    code = "TOO_MANY_REQUESTS"
    status = 429

    def __init__(self, retry_after, message=None):
        self.retry_after = max(1, int(retry_after))  # seconds
        super().__init__(message or f"Too many attempts. Try again in {self.retry_after} s.")
