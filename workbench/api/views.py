"""Core API: tokens, the caller, stakeholder groups."""
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from workbench import selectors, services
from workbench.errors import ValidationFailed
from workbench.roles import roles_of

from .permissions import IsFacilitatorOrReadOnly
from .serializers import (
    MeSerializer,
    ProfileSerializer,
    StakeholderGroupSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)


class TokenView(APIView):
    """Exchange a username and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer})
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            # 400 like DRF's own obtain_auth_token: the request carried bad credentials as data.
            raise ValidationFailed("Wrong username or password.", code="invalid_credentials")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(APIView):
    """Who is calling: username, profile, stakeholder group and roles."""

    permission_classes = [AllowAny]

    def _payload(self, request):
        stakeholder = selectors.stakeholder_of(request.user)
        return {
            "username": request.user.get_username() if request.user.is_authenticated else None,
            "authenticated": request.user.is_authenticated,
            "profile": ProfileSerializer(stakeholder).data if stakeholder else None,
            "group": StakeholderGroupSerializer(stakeholder.group).data if stakeholder and stakeholder.group else None,
            "roles": roles_of(request.user),
        }

    @extend_schema(responses={200: MeSerializer})
    def get(self, request):
        return Response(self._payload(request))

    @extend_schema(request=ProfileSerializer, responses={200: MeSerializer})
    def patch(self, request):
        if not request.user.is_authenticated:
            return Response(
                {"detail": "Sign in to edit your profile.", "code": "not_authenticated"},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        serializer = ProfileSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.profile_update(user=request.user, **serializer.validated_data)
        return Response(self._payload(request))

    def get_permissions(self):
        if self.request.method == "PATCH":
            return [IsAuthenticated()]
        return super().get_permissions()


class StakeholderGroupViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Stakeholder groups: everyone reads; facilitators create and rename."""

    serializer_class = StakeholderGroupSerializer
    permission_classes = [IsFacilitatorOrReadOnly]
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.group_list()

    def perform_create(self, serializer):
        serializer.instance = services.group_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k in ("name", "description")}
        serializer.instance = services.group_update(actor=self.request.user, group=serializer.instance, **data)
