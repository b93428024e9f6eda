"""Serializer fields every app's REST API shares."""

from rest_framework import serializers


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key chosen among the objects the requesting user may see; anything else is 'unknown'.

    ``visible`` is a selector taking the user. The same message answers an id that does not exist and
    one outside the user's scope, so the API does not reveal which ids exist.
    """

    def __init__(self, *, model, visible, unknown_message, **kwargs):
        self.visible = visible
        kwargs["error_messages"] = {"does_not_exist": unknown_message, "incorrect_type": unknown_message,
                                    **kwargs.get("error_messages", {})}
        # ``queryset`` only names the model (for the schema); lookups go through ``get_queryset``.
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        return self.visible(self.context["request"].user)
