"""Statistical disclosure control for counts and quotes shown to staff."""

THRESHOLD = 10
HIDDEN = "<10"


def shown(count, threshold=THRESHOLD):
    """Return count as it may be shown: "<10" for a small non-zero count."""
    if 0 < count < threshold:
        return HIDDEN
    return count


def suppress(cells, threshold=THRESHOLD):
    """Return cells with small counts hidden so none can be worked back from a total.

    A cell under threshold is hidden (primary suppression). If exactly one cell
    is hidden, the smallest other non-zero cell is hidden too (secondary
    suppression), since the total minus the shown cells would give it away.
    """
    result = {key: shown(count, threshold) for key, count in cells.items()}
    hidden = [key for key, value in result.items() if value == HIDDEN]
    if len(hidden) != 1:
        return result

    others = sorted(
        (count, str(key), key)
        for key, count in cells.items()
        if key not in hidden and count > 0
    )
    if others:
        result[others[0][2]] = HIDDEN
    return result


def crossed_allowed(cells, threshold=THRESHOLD):
    """Return whether a crossed breakdown may be shown: every cell ≥ threshold."""
    return all(count >= threshold for count in cells.values())
