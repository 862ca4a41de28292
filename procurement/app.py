"""The Litestar application: ``create_app(settings)`` builds it, nothing imports it.

Composition root: this is the one place that knows every controller, every scheduled
recheck and every long-lived part, and wires them together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from bidding.award.controllers import AwardController
from bidding.award.pages import AwardPages
from bidding.controllers import BidController, OpeningController
from bidding.evaluation.controllers import EvaluationController
from bidding.evaluation.pages import EvaluationPages, EvaluationProgressPages
from bidding.opening_key_controllers import OpeningKeyController
from bidding.pages import BidPages
from bidding.security_controllers import BidSecurityController
from bidding.security_pages import BidSecurityPages
from expert_pool.controllers import ExpertPoolController
from expert_pool.draw_controllers import ExpertDrawController
from expert_pool.draw_pages import DrawMonitorPages, DrawRequestPages
from expert_pool.invitation_controllers import InvitationController
from expert_pool.invitation_pages import InvitationLinkPages, MyInvitationPages
from expert_pool.pages import ExpertPoolPages, ExpertProfilePages
from expert_pool.rating_controllers import ExpertRatingController
from expert_pool.rating_pages import ExpertRatingPages
from procurement.audit.controllers import AuditEntryController, AuditProofController
from procurement.audit.pages import AuditPages
from procurement.clock import Clock
from procurement.credit.controllers import CreditEntryController
from procurement.credit.pages import CreditPages, CreditProposalPages, CreditReviewPages
from procurement.documents import PdfRenderer
from procurement.identity.controllers import (
    AuthController,
    MeController,
    OrganisationController,
    UserController,
)
from procurement.identity.pages import (
    AccountPages,
    LoginPages,
    RegistrationPages,
    UserPages,
)
from procurement.jobs import build_registry
from procurement.mall.order_pages import ORDER_HANDLERS as MALL_ORDER_HANDLERS
from procurement.mall.routes import CATALOGUE_HANDLERS as MALL_CATALOGUE_HANDLERS
from procurement.observability import configure_logging
from procurement.paths import PROJECT_ROOT
from procurement.platform import Platform
from procurement.scheduler.runner import SchedulerRunner
from procurement.settings import Settings
from procurement.statistics.controllers import StatisticsController
from procurement.statistics.pages import StatisticsPages, SupervisionStatisticsPages
from procurement.supervision.controllers import (
    ProjectSupervisorController,
    RiskAlertController,
)
from procurement.supervision.pages import SupervisionPages
from procurement.tenders.controllers import (
    CalendarController,
    TenderController,
    TenderRulesController,
)
from procurement.tenders.document_controllers import TenderDocumentController
from procurement.tenders.feed_controllers import (
    AtomFeedController,
    FeedController,
    OcdsController,
)
from procurement.tenders.manage_pages import ReviewQueuePages, TenderManagePages
from procurement.tenders.notice_controllers import NoticeController
from procurement.tenders.notice_pages import NoticePages
from procurement.tenders.pages import TenderPages
from procurement.web.deps import (
    provide_actor,
    provide_optional_actor,
    provide_platform,
    provide_session,
)
from procurement.web.documents import DocumentController
from procurement.web.guards import csrf_protect
from procurement.web.middleware import ActorMiddleware, RequestContextMiddleware
from procurement.web.pages import HomePage, PreferencePages
from procurement.web.problems import EXCEPTION_HANDLERS
from procurement.web.public_cache import PublicCache
from procurement.web.system import SystemController
from procurement.web.templating import make_environment

API_DESCRIPTION = """\
电子招标投标与政府采购平台 API — the API of the electronic procurement and bidding platform.

Authenticate with `POST /api/auth/login`, then send `Authorization: Bearer <token>`.
Errors are RFC 9457 problem details (`application/problem+json`) with field paths.
"""


class _Metrics(PrometheusController):
    path = "/metrics"


def create_app(settings: Settings | None = None, *, clock: Clock | None = None, run_scheduler: bool | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    app = build_app(max_body_bytes=settings.max_body_bytes)
    bind(app, settings, clock=clock, run_scheduler=run_scheduler)
    return app


def bind(app: Litestar, settings: Settings, *, clock: Clock | None = None, run_scheduler: bool | None = None) -> None:
    """Gives an app from ``build_app`` its platform and the parts made from it, in ``app.state``.

    Everything that needs the platform (the dependencies, both middlewares, the lifespan)
    reads it from there, so an app is bound once in production. The tests build the routes
    once and bind them again for each test, after the previous test's lifespan has ended:
    building the routes costs ~0.6 s (Litestar checks every handler's signature), more than
    most tests.
    """
    configure_logging(settings.log_level, json_lines=settings.log_json)
    platform = Platform.build(settings, clock=clock)
    app.state = State({
        "platform": platform,
        "scheduler": SchedulerRunner(platform, build_registry(), poll_seconds=settings.scheduler_poll_seconds),
        "run_scheduler": settings.scheduler_enabled if run_scheduler is None else run_scheduler,
        "pdf": PdfRenderer(app.template_engine.engine),  # type: ignore[union-attr]
        "public_cache": PublicCache(settings.public_cache_seconds),
    })


@asynccontextmanager
async def _lifespan(app: Litestar) -> AsyncIterator[None]:
    state = app.state
    if state.run_scheduler:
        await state.scheduler.start()
    try:
        yield
    finally:
        await state.scheduler.stop()
        await state.platform.close()


def build_app(*, max_body_bytes: int) -> Litestar:
    """Every route, the middleware and the configuration; nothing bound to a database yet (``bind``)."""
    app = Litestar(
        route_handlers=[
            SystemController,
            AuthController,
            MeController,
            OrganisationController,
            UserController,
            AuditProofController,
            AuditEntryController,
            TenderController,
            TenderRulesController,
            CalendarController,
            DocumentController,
            TenderDocumentController,
            HomePage,
            PreferencePages,
            LoginPages,
            RegistrationPages,
            AccountPages,
            UserPages,
            AuditPages,
            TenderPages,
            TenderManagePages,
            ReviewQueuePages,
            NoticeController,
            BidController,
            OpeningController,
            OpeningKeyController,
            EvaluationController,
            EvaluationPages, EvaluationProgressPages,
            BidPages,
            BidSecurityController,
            BidSecurityPages,
            AwardController,
            AwardPages,
            NoticePages,
            OcdsController,
            FeedController,
            AtomFeedController,
            RiskAlertController,
            ProjectSupervisorController,
            ExpertPoolController,
            ExpertDrawController,
            InvitationController,
            InvitationLinkPages,
            MyInvitationPages,
            ExpertPoolPages, ExpertProfilePages, DrawRequestPages, DrawMonitorPages,
            ExpertRatingController,
            ExpertRatingPages,
            SupervisionPages,
            StatisticsController, StatisticsPages, SupervisionStatisticsPages,
            CreditEntryController,
            CreditPages,
            CreditProposalPages,
            CreditReviewPages,
            *MALL_CATALOGUE_HANDLERS,
            *MALL_ORDER_HANDLERS,
            _Metrics,
            create_static_files_router(path="/static", directories=[PROJECT_ROOT / "templates" / "static"], include_in_schema=False),
        ],
        dependencies={
            "platform": Provide(provide_platform, sync_to_thread=False),
            "session": Provide(provide_session),
            "actor": Provide(provide_actor, sync_to_thread=False),
            "optional_actor": Provide(provide_optional_actor, sync_to_thread=False),
        },
        guards=[csrf_protect],
        middleware=[
            ActorMiddleware,
            PrometheusConfig(app_name="procurement", group_path=True).middleware,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(make_environment())),
        openapi_config=OpenAPIConfig(
            title="Procurement platform",
            version="0.1.0",
            description=API_DESCRIPTION,
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, exclude_opt_key="skip_compression"),
        request_max_body_size=max_body_bytes,
        logging_config=None,  # ours (JSON lines with request ids) is set up by bind
        lifespan=[_lifespan],
        debug=False,
    )
    # Outside the router, so that its own 404 and 405 answers also carry the request id and
    # speak the visitor's language.
    app.asgi_handler = RequestContextMiddleware(app.asgi_handler)
    return app
