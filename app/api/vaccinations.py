"""Every pet's vaccination records as one list: what a sync reads (a pet's own are under /pets/<id>)."""
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.schemas.pets import VaccinationQuerySchema, VaccinationSchema
from app.services import pets as service

blp = Blueprint("vaccinations", __name__, url_prefix="/api/v1/vaccinations",
                description="The resort's vaccination records, every pet's, with the change feed.")


@blp.route("")
class Vaccinations(MethodView):
    @blp.arguments(VaccinationQuerySchema, location="query")
    @blp.response(200, VaccinationSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Vaccination records of every pet (or one `pet_id`'s), oldest record first."""
        return page_of(pagination_parameters, service.list_vaccinations, **query)
