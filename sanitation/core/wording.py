"""Django's own messages that our users meet, worded again in our catalogue.

The project's locale comes first in LOCALE_PATHS, so naming a msgid here (makemessages then keeps
it) lets our translation replace Django's. Django's Chinese for a NUL byte in a text field reads
"不允许是用空字符串" — a typo, and it says "empty string", which sends people looking for the wrong
thing; forms and the API both show it."""

from django.utils.translation import gettext_lazy as _

NULL_CHARACTERS = _("Null characters are not allowed.")
