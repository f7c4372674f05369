"""The one way list endpoints page: a service list function, and the total for `X-Pagination`."""
from collections.abc import Callable


def page_of(pagination, list_fn: Callable, **filters) -> list:
    """Call list_fn for the requested page and tell flask-smorest's paginator the total."""
    items, total = list_fn(page=pagination.page, page_size=pagination.page_size, **filters)
    pagination.item_count = total
    return items
