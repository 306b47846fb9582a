"""The generator's word lists: names, organisations, topics and vendors the seeded rows are made of.

Why a module of its own: these are invented (or public, generic names) so the project ships no data
it did not make; keeping them apart leaves each generator module readable as logic alone. Order
matters: the generators draw from these tuples with a seeded RNG, so reordering one changes rows.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Amelia",
    "Benjamin",
    "Carmen",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Imani",
    "Jonas",
    "Keiko",
    "Luis",
    "Maya",
    "Nikolai",
    "Olga",
    "Priya",
    "Quinn",
    "Rosa",
    "Samuel",
    "Tamsin",
)
LAST_NAMES = (
    "Abara",
    "Brennan",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Gallagher",
    "Hughes",
    "Iqbal",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quint",
    "Rahman",
)
DIVISIONS = (
    ("Division of Child and Family Development", "DCFD"),
    ("Division of Economic Independence", "DEI"),
    ("Division of Family Strengthening", "DFS"),
    ("Division of Data and Improvement", "DDI"),
    ("Office of the Director", "OD"),
    ("Office of Planning, Research, and Evaluation", "OPRE"),
    ("Non-OPRE Division", "NONOPRE"),
)
PORTFOLIOS = (
    ("Child Care Research", "CC"),
    ("Child Welfare Research", "CWR"),
    ("Head Start Research", "HS"),
    ("Healthy Marriage & Responsible Fatherhood", "HMRF"),
    ("Home Visiting", "HV"),
    ("Welfare Research", "WR"),
    ("Adolescent Pregnancy Prevention", "APP"),
    ("Economic Mobility", "EM"),
    ("Family Self-Sufficiency", "FSS"),
    ("Data Innovation", "DI"),
    ("Director's Office", "DO"),
    ("Research Capacity", "RC"),
)
SPECIAL_TOPICS = (
    "Annual Performance Plans and Reports",
    "Child Care",
    "Economic Mobility",
    "Fatherhood",
    "Home Visiting",
    "Teen Pregnancy",
    "Tribal Communities",
    "Workforce Development",
)
METHODOLOGIES = (
    "Knowledge Development (Lit Review, Expert Consultations)",
    "Descriptive Study",
    "Impact Study",
    "Implementation Study",
    "Process Study",
    "Cost Study",
    "Data Collection Methods",
    "Technical Assistance",
)
PRODUCT_SERVICE_CODES = (
    (541690, "Other Scientific and Technical Consulting Services"),
    (541720, "Research and Development in the Social Sciences and Humanities"),
    (541611, "Administrative Management and General Management Consulting Services"),
    (541511, "Custom Computer Programming Services"),
    (611710, "Educational Support Services"),
    (518210, "Data Processing, Hosting, and Related Services"),
)
PROCUREMENT_SHOPS = (
    ("Product Service Center", "PSC", 0.0),
    ("General Services Administration", "GSA", 1.0),
    ("National Institutes of Health", "NIH", 0.5),
    ("Interior Business Center", "IBC", 4.8),
)
AGENCIES = (
    ("Administration for Children and Families", "ACF", True, True),
    ("Department of Health and Human Services", "HHS", True, False),
    ("Department of the Interior", "DOI", False, True),
    ("National Institutes of Health", "NIH", True, True),
    ("Department of Labor", "DOL", True, False),
    ("Census Bureau", "CENSUS", False, True),
)
VENDORS = (
    "Mathematica",
    "MDRC",
    "Abt Global",
    "Urban Institute",
    "RTI International",
    "Westat",
    "Child Trends",
    "NORC",
    "ICF",
    "Manhattan Strategy Group",
)
TOPIC_WORDS = (
    "Early Care",
    "Family Support",
    "Youth Outcomes",
    "Employment Pathways",
    "Parenting",
    "Child Development",
    "Program Evaluation",
    "Data Capacity",
    "Healthy Relationships",
    "Income Security",
    "Workforce",
    "Home Visiting",
    "Kinship Care",
    "Community Supports",
)

HISTORY_TYPES = (
    "CREATED",
    "UPDATED",
    "BUDGET_LINE_ITEM_CREATED",
    "BUDGET_LINE_ITEM_UPDATED",
    "STATUS_CHANGED",
    "FUNDING_RECEIVED_ADDED",
)
