from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "plans.members"
    label = "members"
    verbose_name = _("Members")

    def ready(self):
        from plans import indicators

        from .selectors import new_members_indicator

        indicators.provider("members.new_members", _("New members this year"))(new_members_indicator)
