# English pages keep the Mexican conventions (dd/mm/yyyy, 24-hour time): the data and its readers are in Mexico.
from ces.formats.es.formats import *  # noqa: F403
