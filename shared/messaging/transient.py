"""Errors worth retrying with backoff: the broker or the database is briefly away."""

from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (KafkaError, OSError, DBAPIError, TimeoutError)
