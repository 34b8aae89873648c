"""The demo election: élections professionnelles of a fictional ministry, signed and ready to load.

Everything a person reads (names, lists, texts, logos, PDFs) follows from ``seed``; keys, salts
and the voters' secrets are drawn afresh at every build, so a published seed reveals no secret.
The window always contains ``now``: it opens the day before at 08:00 and closes eight days after
that at 17:00, Paris time. Unions and people are invented; none is a real organisation.
"""

from __future__ import annotations

import csv
import io
import os
import random
import secrets
import shutil
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.election import package, signing
from kiosk.election.demo_assets import (
    Branding,
    Candidate,
    ListDocuments,
    Ornament,
    Quote,
    Section,
    Shape,
    ballot_pdf,
    logo_png,
    profession_de_foi_pdf,
)
from kiosk.election.kdf import KdfParams, KdfProfile, SecretKind, hash_secret
from kiosk.election.model import (
    CandidateList,
    ElectionId,
    ElectionPackage,
    KioskId,
    KioskKey,
    ListId,
    Manifest,
    Organizer,
    Scrutin,
    ScrutinId,
    SeatMethod,
    Voter,
    VoterId,
    VotingWindow,
)
from kiosk.election.source import ROLL_COLUMNS

TIME_ZONE: Final = "Europe/Paris"
ORGANIZER_NAME: Final = (
    "Ministère des Savoirs et de la Jeunesse (fictif) — Direction des personnels"
)
IDENTIFIER_DOMAIN: Final = "ac-demo.fr"
PERSONAL_DOMAIN: Final = "courriel-demo.fr"
CREDENTIALS_FILE: Final = "demo-credentials.csv"
# Letters and digits that cannot be mistaken for one another when read aloud or off paper.
CODE_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
READABLE_ALPHABET: Final = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
_INVALIDATED_SHARE: Final = 0.10
_CERTIFIED_SHARE: Final = 0.60


@dataclass(frozen=True)
class DemoCredential:
    """The plaintext demo secrets of one voter, as printed in the credentials CSV."""

    voter_id: VoterId
    identifier: str
    display_name: str
    password: str
    vote_code: str | None  # None: invalidated at start, the voter must use the réassort
    secret_question: str
    secret_answer: str
    numen: str
    personal_email: str
    phone: str
    scrutins: tuple[ScrutinId, ...]

    def __repr__(self) -> str:
        return f"DemoCredential(voter_id={self.voter_id!r})"


@dataclass(frozen=True)
class DemoElection:
    package: ElectionPackage
    organizer_key: Ed25519PrivateKey
    kiosk_keys: Mapping[KioskId, Ed25519PrivateKey]
    credentials: tuple[DemoCredential, ...]

    def __repr__(self) -> str:
        manifest = self.package.manifest
        return f"DemoElection(election_id={manifest.election_id!r}, voters={manifest.voter_count})"


# ---- the election's fixed shape -----------------------------------------------------------------


@dataclass(frozen=True)
class _Union:
    acronym: str
    name: str
    caption: str
    colour: str
    accent: str
    shape: Shape
    ornament: Ornament

    @property
    def list_id(self) -> ListId:
        return ListId(_ascii(self.acronym).lower())

    @property
    def branding(self) -> Branding:
        return Branding(
            self.acronym, self.caption, self.colour, self.accent, self.shape, self.ornament
        )


@dataclass(frozen=True)
class _ScrutinPlan:
    id: ScrutinId
    title: str
    seats: int
    list_count: int
    electorate: str  # completes "pour ..." in the texts
    instance_de: str  # completes "les séances ..."
    instance_a: str  # completes "nos élus ..."
    by_discipline: bool  # candidates described by discipline, else by corps


_UNIONS: Final = (
    _Union(
        "SEPIA",
        "Syndicat des enseignants pour une pédagogie indépendante et audacieuse",
        "SYNDICAT",
        "#1f5aa6",
        "#f2c14e",
        Shape.CIRCLE,
        Ornament.RING,
    ),
    _Union(
        "ALIZÉ",
        "Alliance laïque et indépendante des personnels de l'éducation",
        "ALLIANCE",
        "#c0392b",
        "#ffffff",
        Shape.ROUNDED,
        Ornament.BAND,
    ),
    _Union(
        "RÉSÉDA",
        "Rassemblement des enseignants solidaires et démocrates associés",
        "RASSEMBLEMENT",
        "#1e8449",
        "#c8e6a0",
        Shape.HEXAGON,
        Ornament.DOTS,
    ),
    _Union(
        "PHARE",
        "Personnels humanistes pour une action républicaine en éducation",
        "ÉDUCATION",
        "#7d3c98",
        "#f5b041",
        Shape.SHIELD,
        Ornament.RING,
    ),
    _Union(
        "VIGIE",
        "Voix indépendante des gens de l'instruction et de l'éducation",
        "SYNDICAT",
        "#d35400",
        "#fdebd0",
        Shape.DIAMOND,
        Ornament.RING,
    ),
    _Union(
        "ACTE",
        "Action collective des travailleurs de l'enseignement",
        "FÉDÉRATION",
        "#117a8b",
        "#ffd166",
        Shape.CIRCLE,
        Ornament.BAND,
    ),
    _Union(
        "AGORA",
        "Association générale des organisations républicaines autonomes",
        "ÉDUCATION",
        "#b7950b",
        "#1b1b1b",
        Shape.HEXAGON,
        Ornament.RING,
    ),
    _Union(
        "TRAME",
        "Travailleurs réunis pour une action mutualiste en éducation",
        "SYNDICAT",
        "#2c3e50",
        "#e74c3c",
        Shape.ROUNDED,
        Ornament.DOTS,
    ),
    _Union(
        "OSMOSE",
        "Organisation syndicale des métiers de l'orientation, du social et de l'enseignement",
        "ORGANISATION",
        "#c2185b",
        "#ffe0ec",
        Shape.CIRCLE,
        Ornament.DOTS,
    ),
    _Union(
        "ESTRAN",
        "Entente syndicale des travailleurs de l'enseignement et de la recherche",
        "ENTENTE",
        "#5d4037",
        "#ffcc80",
        Shape.SHIELD,
        Ornament.BAND,
    ),
    _Union(
        "UPEP",
        "Union des personnels de l'école publique",
        "UNION",
        "#558b2f",
        "#ffffff",
        Shape.DIAMOND,
        Ornament.DOTS,
    ),
    _Union(
        "LIEN",
        "Lien intercatégoriel des enseignants et des non-titulaires",
        "COLLECTIF",
        "#283593",
        "#80deea",
        Shape.HEXAGON,
        Ornament.BAND,
    ),
    _Union(
        "SIGMA",
        "Syndicat indépendant des gestionnaires, maîtres et assistants",
        "SYNDICAT",
        "#880e4f",
        "#f8bbd0",
        Shape.ROUNDED,
        Ornament.RING,
    ),
    _Union(
        "CAMPUS",
        "Collectif autonome des métiers et des personnels unis du service public",
        "COLLECTIF",
        "#00695c",
        "#ffe082",
        Shape.SHIELD,
        Ornament.DOTS,
    ),
    _Union(
        "NOVA",
        "Nouvelle organisation des voix autonomes en éducation",
        "ÉDUCATION",
        "#f9a825",
        "#1b1b1b",
        Shape.CIRCLE,
        Ornament.RING,
    ),
    _Union(
        "ÉTAPE",
        "Entente des travailleurs et agents pour une école publique exigeante",
        "FÉDÉRATION",
        "#37474f",
        "#4fc3f7",
        Shape.DIAMOND,
        Ornament.BAND,
    ),
)

_SCRUTINS: Final = (
    _ScrutinPlan(
        ScrutinId("capn-certifies"),
        "CAPN des professeurs certifiés",
        seats=18,
        list_count=14,
        electorate="les professeurs certifiés",
        instance_de="de la CAPN",
        instance_a="à la CAPN",
        by_discipline=True,
    ),
    _ScrutinPlan(
        ScrutinId("capn-agreges"),
        "CAPN des professeurs agrégés",
        seats=12,
        list_count=6,
        electorate="les professeurs agrégés",
        instance_de="de la CAPN",
        instance_a="à la CAPN",
        by_discipline=True,
    ),
    _ScrutinPlan(
        ScrutinId("csa-ministeriel"),
        "Comité social d'administration ministériel",
        seats=15,
        list_count=9,
        electorate="l'ensemble des personnels",
        instance_de="du CSA ministériel",
        instance_a="au CSA ministériel",
        by_discipline=False,
    ),
)
_CERTIFIED, _AGREGE, _CSA = (plan.id for plan in _SCRUTINS)

_KIOSKS: Final = (
    (KioskId("kiosk-01"), "Lycée Jean-Moulin, Lyon"),
    (KioskId("kiosk-02"), "Ambassade de France au Japon, Tokyo"),
)

# ---- banks of names and words -------------------------------------------------------------------

_WOMEN: Final = (
    "Amandine", "Anne", "Aurélie", "Camille", "Caroline", "Catherine", "Cécile", "Chloé",
    "Claire", "Delphine", "Élise", "Émilie", "Fatima", "Florence", "Gaëlle", "Hélène", "Inès",
    "Isabelle", "Jeanne", "Julie", "Karine", "Laure", "Léa", "Lucie", "Magali", "Manon",
    "Marie", "Mathilde", "Myriam", "Nadia", "Nathalie", "Océane", "Pauline", "Sandrine",
    "Sarah", "Sophie", "Sylvie", "Valérie", "Virginie", "Yasmina",
)  # fmt: skip
_MEN: Final = (
    "Alexandre", "Antoine", "Arnaud", "Benoît", "Bruno", "Cédric", "Christophe", "Damien",
    "David", "Éric", "Fabien", "François", "Frédéric", "Grégoire", "Guillaume", "Hugo",
    "Jérôme", "Julien", "Karim", "Laurent", "Loïc", "Lucas", "Marc", "Mathieu", "Maxime",
    "Mehdi", "Nicolas", "Olivier", "Pascal", "Patrick", "Philippe", "Pierre", "Raphaël",
    "Romain", "Samuel", "Sébastien", "Stéphane", "Thomas", "Vincent", "Yann",
)  # fmt: skip
_SURNAMES: Final = (
    "Arnaud", "Aubert", "Barbier", "Benali", "Bertin", "Blanc", "Bonnet", "Bouvier", "Brun",
    "Carpentier", "Caron", "Charpentier", "Chevalier", "Clément", "Colin", "Collet", "Da Silva",
    "David", "Denis", "Deschamps", "Diallo", "Dubois", "Dufour", "Dumas", "Dupont", "Durand",
    "Faure", "Fabre", "Fleury", "Fontaine", "Fournier", "Gaillard", "Garnier", "Gauthier",
    "Gérard", "Girard", "Guérin", "Guillot", "Haddad", "Henry", "Hoarau", "Huet", "Jacob",
    "Joly", "Lacroix", "Lambert", "Laurent", "Le Gall", "Le Goff", "Leclerc", "Lefèvre",
    "Legrand", "Lemaire", "Lemoine", "Leroy", "Lucas", "Marchand", "Martin", "Masson",
    "Mathieu", "Mercier", "Meunier", "Meyer", "Michel", "Moreau", "Morel", "Muller", "N'Diaye",
    "Nguyen", "Noël", "Perrin", "Petit", "Picard", "Rey", "Richard", "Rivière", "Robert",
    "Roche", "Rousseau", "Roussel", "Roux", "Schmitt", "Simon", "Tessier", "Thomas", "Vidal",
    "Vincent", "Weber",
)  # fmt: skip
_DISCIPLINES: Final = (
    "Lettres modernes", "Lettres classiques", "Mathématiques", "Histoire-géographie",
    "Anglais", "Espagnol", "Allemand", "Italien", "Physique-chimie",
    "Sciences de la vie et de la Terre", "Sciences économiques et sociales", "Philosophie",
    "Technologie", "Éducation musicale", "Arts plastiques", "Documentation",
    "Éducation physique et sportive", "Économie-gestion",
)  # fmt: skip
_CORPS: Final = (  # (masculine, feminine)
    ("Professeur des écoles", "Professeure des écoles"),
    ("Professeur certifié", "Professeure certifiée"),
    ("Professeur agrégé", "Professeure agrégée"),
    ("Professeur de lycée professionnel", "Professeure de lycée professionnel"),
    ("Conseiller principal d'éducation", "Conseillère principale d'éducation"),
    ("Attaché d'administration", "Attachée d'administration"),
    ("Secrétaire administratif", "Secrétaire administrative"),
    ("Adjoint technique de laboratoire", "Adjointe technique de laboratoire"),
    ("Infirmier scolaire", "Infirmière scolaire"),
    ("Assistant de service social", "Assistante de service social"),
    ("Psychologue scolaire", "Psychologue scolaire"),
    ("Ingénieur d'études", "Ingénieure d'études"),
)
_ACADEMIES: Final = (
    "académie de Lille", "académie de Rennes", "académie de Nantes", "académie de Bordeaux",
    "académie de Toulouse", "académie de Montpellier", "académie d'Aix-Marseille",
    "académie de Nice", "académie de Grenoble", "académie de Lyon", "académie de Dijon",
    "académie de Strasbourg", "académie de Reims", "académie d'Amiens", "académie de Rouen",
    "académie de Caen", "académie d'Orléans-Tours", "académie de Poitiers",
    "académie de Limoges", "académie de Créteil", "académie de Versailles",
    "académie de Clermont-Ferrand", "académie de Nancy-Metz", "académie de La Réunion",
)  # fmt: skip

# Answers avoid every word printed elsewhere in the package, so a leak test can look for them.
_SECRET_QUESTIONS: Final = (
    (
        "Quel est le dernier pays étranger que vous avez visité ?",
        ("Finlande", "Portugal", "Grèce", "Croatie", "Irlande", "Norvège", "Islande", "Maroc",
         "Sénégal", "Vietnam", "Mexique", "Pérou", "Canada", "Pologne", "Autriche", "Chili"),
    ),
    (
        "Quel était le nom de votre premier animal de compagnie ?",
        ("Caramel", "Filou", "Moustache", "Réglisse", "Biscotte", "Pompon", "Gribouille",
         "Noisette", "Praline", "Tigrou", "Pistache", "Câline"),
    ),
    (
        "Dans quelle ville avez-vous obtenu votre baccalauréat ?",
        ("Quimper", "Angoulême", "Colmar", "Périgueux", "Annecy", "Perpignan", "Dunkerque",
         "Chambéry", "Auxerre", "Saint-Malo", "Vannes", "Bayonne", "Aurillac", "Épinal", "Mâcon"),
    ),
    (
        "Quel est votre plat préféré ?",
        ("Blanquette", "Ratatouille", "Cassoulet", "Choucroute", "Tartiflette", "Bouillabaisse",
         "Pot-au-feu", "Aligot", "Couscous", "Gratin dauphinois", "Quiche lorraine"),
    ),
)  # fmt: skip

_SLOGANS: Final = (
    "Ensemble, pour un métier reconnu",
    "Pour une école qui tient ses promesses",
    "Le choix de l'indépendance",
    "Agir pour chacun, défendre tous",
    "Des droits, des moyens, du respect",
    "La voix des collègues",
    "Fiers de notre métier",
    "Pour des carrières sans arbitraire",
    "Exigeants et solidaires",
    "Le service public d'abord",
    "Des élus à votre écoute",
    "Pour une école juste",
    "Unis pour nos métiers",
    "Du temps pour bien travailler",
    "Reconnaître, protéger, rémunérer",
    "La solidarité en actes",
    "Au plus près du terrain",
    "Défendre, proposer, obtenir",
    "Pour un dialogue social exigeant",
    "Vos droits, notre engagement",
)

# Placeholders: {acr} the union, {electorate}, {instance_de}, {instance_a} of the scrutin.
_OPENERS: Final = (
    "Chères et chers collègues, votre vote décidera pour quatre ans de celles et ceux qui "
    "vous représenteront.",
    "Ces élections professionnelles ne sont pas une formalité : elles fixent pour quatre ans "
    "la composition {instance_de}.",
    "Depuis sa création, {acr} défend une idée simple : aucun collègue ne doit rester seul "
    "face à l'administration.",
    "Nous sommes des collègues comme vous, en poste sur le terrain, et c'est de là que nous "
    "parlons.",
    "Quatre ans après le dernier scrutin, il est temps de dresser le bilan et de fixer le cap.",
)
_EDITO: Final = (
    "Le métier a changé, les charges se sont alourdies, mais la reconnaissance n'a pas suivi.",
    "Voter {acr}, c'est choisir des élus qui rendent compte de chaque décision et publient "
    "leurs positions.",
    "Nos élus siègent pour défendre des règles justes, transparentes et identiques pour tous.",
    "Nous refusons l'individualisation des carrières et l'opacité des décisions.",
    "Chaque voix compte : le nombre de sièges de chaque liste dépend directement de la "
    "participation.",
    "Nous avons tenu nos engagements du précédent mandat et nous vous en rendons compte ici.",
    "Pour {electorate}, les quatre prochaines années seront décisives.",
    "Les réformes successives ont été menées trop vite, sans écouter celles et ceux qui les "
    "appliquent.",
    "Nous voulons une administration qui accompagne au lieu de contrôler.",
    "Notre indépendance est totale : nous ne vivons que des cotisations de nos adhérents.",
    "La confiance se gagne par les actes : nos élus répondent présents toute l'année, pas "
    "seulement en période d'élections.",
    "{acr} porte des propositions concrètes, chiffrées et réalistes.",
)
_SIGNOFFS: Final = (
    "C'est le sens de notre candidature.",
    "Nous comptons sur vous, comme vous pouvez compter sur nous.",
    "Votre vote nous donnera la force de peser.",
    "Avec vous, nous pouvons obtenir davantage.",
)
_CLOSINGS: Final = (
    "Du premier au dernier jour du scrutin, votez et faites voter {acr} !",
    "Votre voix fait le nombre de nos élus : votez {acr} !",
    "Pour des élus présents, compétents et disponibles : votez {acr} !",
    "Pour être défendus, soyons nombreux : votez {acr} !",
)


# {n} is a number drawn from the range that follows each fact.
_RECORD: Final = (
    ("{n} collègues accompagnés dans leur demande de mutation", 300, 2500),
    ("{n} recours gagnés contre des avis défavorables", 40, 400),
    ("{n} comptes rendus de séance publiés", 12, 60),
    ("{n} permanences tenues chaque mois dans les départements", 20, 120),
    ("{n} % des demandes traitées en moins de huit jours", 85, 99),
    ("{n} stagiaires conseillés lors de leur première rentrée", 200, 1500),
    ("{n} dossiers de promotion vérifiés un à un", 500, 4000),
)
_QUOTES: Final = (
    "J'ai rejoint {acr} parce que ses élus ont répondu présent le jour où j'en ai eu besoin.",
    "Siéger en commission, c'est vérifier chaque dossier comme si c'était le sien.",
    "Nous ne promettons pas tout ; nous tenons ce que nous promettons.",
    "Représenter ses collègues, c'est leur rendre des comptes, pas seulement voter.",
    "Aucun collègue ne devrait découvrir ses droits trop tard.",
    "Le terrain d'abord : c'est là que se jouent nos conditions de travail.",
    "Un bon élu connaît les règles par cœur et les explique simplement.",
)
_HOW_TO_VOTE: Final = (
    "Comment voter ? Le vote est électronique. Munissez-vous de votre identifiant, de votre mot "
    "de passe électoral et de votre code de vote, puis votez sur une borne Isoloir dans l'un des "
    "bureaux de vote équipés. Code de vote perdu ? Demandez un réassort : il suffit de répondre à "
    "votre question secrète et de donner votre NUMEN."
)

_Fill = Callable[[str], str]


@dataclass(frozen=True)
class _Theme:
    headings: tuple[str, ...]
    sentences: tuple[str, ...]
    bullets: tuple[str, ...]


_THEMES: Final = (
    _Theme(
        ("Salaires : rattraper le retard", "Rémunérations : la reconnaissance, maintenant"),
        (
            "Le point d'indice a perdu une part importante de sa valeur en vingt ans, et les "
            "mesures ponctuelles n'ont pas compensé l'inflation.",
            "{acr} demande une revalorisation sans contrepartie pour {electorate}, dès le début "
            "de carrière.",
            "Les primes ne remplacent pas le traitement : elles comptent peu, ou pas du tout, "
            "pour la retraite.",
            "Les heures supplémentaires ne doivent pas devenir la seule voie pour gagner "
            "davantage.",
            "Une grille indiciaire lisible, c'est savoir à l'avance ce que l'on gagnera dans "
            "dix ans.",
        ),
        (
            "Indexation du point d'indice sur les prix",
            "Intégration des primes dans le traitement indiciaire",
            "Remboursement intégral des frais de déplacement",
            "Revalorisation des débuts de carrière sans allongement de la grille",
            "Prise en charge à 75 % des abonnements de transport",
        ),
    ),
    _Theme(
        ("Carrières : des règles claires", "Avancement : une carrière sans arbitraire"),
        (
            "Les promotions doivent reposer sur des critères connus de tous, publiés avant "
            "chaque campagne.",
            "Nos élus vérifient chaque tableau d'avancement et signalent chaque erreur de barème.",
            "L'accès à la hors-classe doit être garanti à chacun avant la fin de sa carrière.",
            "Un avis défavorable doit toujours être motivé, et chaque collègue doit pouvoir le "
            "contester.",
            "Nous refusons que l'avancement dépende de la seule appréciation d'un supérieur.",
        ),
        (
            "Publication des barèmes et des résultats de chaque campagne",
            "Accès de toutes et tous à la hors-classe avant la retraite",
            "Droit de recours accompagné pour chaque avis défavorable",
            "Prise en compte de toute l'ancienneté, y compris comme contractuel",
            "Rendez-vous de carrière préparés avec un élu",
        ),
    ),
    _Theme(
        ("Mutations : le droit de se rapprocher des siens", "Mobilité choisie, pas subie"),
        (
            "Chaque année, des milliers de collègues attendent une mutation qui ne vient pas.",
            "Nous demandons que les barèmes de mutation soient publiés et que chaque résultat "
            "puisse être vérifié.",
            "Le rapprochement de conjoints, le handicap et les charges de famille doivent être "
            "mieux pris en compte.",
            "Nos élus accompagnent chaque demandeur, du dossier à la publication des résultats.",
            "Une affectation loin de chez soi ne doit pas devenir durable faute de postes ouverts.",
        ),
        (
            "Transparence totale des barèmes et des résultats",
            "Bonifications renforcées pour le rapprochement de conjoints",
            "Des postes ouverts en nombre suffisant partout",
            "Un accompagnement personnalisé de chaque demande",
        ),
    ),
    _Theme(
        ("Conditions de travail : retrouver du temps", "Alléger la charge de travail"),
        (
            "Les réunions se multiplient et les outils numériques débordent sur les soirées et "
            "les week-ends.",
            "Nous défendons un droit réel à la déconnexion, inscrit dans chaque règlement "
            "intérieur.",
            "Des effectifs raisonnables sont la première condition d'un travail de qualité.",
            "Chaque nouvelle mission doit être reconnue, rémunérée ou compensée par un allègement.",
            "Les remplacements de courte durée ne peuvent pas reposer sur la seule bonne volonté "
            "des équipes.",
        ),
        (
            "Droit à la déconnexion garanti le soir et le week-end",
            "Plafonnement des effectifs par classe et par service",
            "Aucune mission nouvelle sans moyens nouveaux",
            "Des temps de concertation inclus dans le service",
        ),
    ),
    _Theme(
        (
            "Formation continue : un droit, pas une contrainte",
            "Se former tout au long de la carrière",
        ),
        (
            "La formation continue a trop souvent été réduite à des modules en ligne, suivis sur "
            "le temps personnel.",
            "{acr} demande des formations choisies, sur le temps de service, et remplacées.",
            "Se reconvertir ou changer de fonction doit être possible sans perte de rémunération.",
            "Les collègues qui entrent dans le métier ont besoin d'un vrai tutorat, reconnu "
            "pour le tuteur.",
        ),
        (
            "Des formations sur le temps de service, avec remplacement",
            "Un congé de formation accessible et rémunéré",
            "Un tutorat reconnu pour celles et ceux qui accueillent des stagiaires",
            "Un bilan de compétences ouvert à tous à mi-carrière",
        ),
    ),
    _Theme(
        ("Santé et sécurité au travail", "Prendre soin de celles et ceux qui travaillent"),
        (
            "La médecine de prévention reste hors de portée de nombreux collègues, faute de "
            "médecins en nombre suffisant.",
            "Nous demandons une visite médicale réellement proposée à chacun, au moins tous les "
            "cinq ans.",
            "Les violences et les menaces contre les personnels doivent entraîner une protection "
            "fonctionnelle immédiate.",
            "Des locaux trop chauds l'été ou trop froids l'hiver ne sont pas une fatalité.",
        ),
        (
            "Un médecin de prévention pour chaque département",
            "La protection fonctionnelle accordée sans délai",
            "Un plan de rénovation thermique des bâtiments",
            "Des aménagements de poste facilités en cas de maladie ou de handicap",
        ),
    ),
    _Theme(
        ("Égalité professionnelle", "Égalité entre les femmes et les hommes : des actes"),
        (
            "À grade égal, les écarts de rémunération entre femmes et hommes persistent, "
            "notamment par les primes.",
            "Les temps partiels et les congés parentaux ne doivent plus freiner les carrières.",
            "Nous demandons un suivi public, chaque année, des promotions des femmes et des "
            "hommes.",
            "La lutte contre les discriminations et le harcèlement exige des cellules d'écoute "
            "indépendantes.",
        ),
        (
            "Neutralisation des congés parentaux dans l'avancement",
            "Publication annuelle des écarts de rémunération",
            "Une cellule d'écoute indépendante dans chaque académie",
        ),
    ),
    _Theme(
        ("Personne ne reste seul", "Défendre chaque collègue"),
        (
            "Un conflit avec la hiérarchie, une mutation refusée, une évaluation contestée : nos "
            "élus sont là.",
            "Nous répondons à chaque sollicitation, que vous soyez adhérent ou non.",
            "Chaque dossier présenté en séance est étudié avec le collègue concerné, jamais sans "
            "lui.",
            "Nos permanences sont ouvertes chaque semaine, sur place comme à distance.",
        ),
        (
            "Une réponse à chaque demande sous huit jours",
            "Des permanences dans chaque département",
            "Un accompagnement lors des entretiens avec la hiérarchie",
        ),
    ),
    _Theme(
        ("Bien entrer dans le métier", "Stagiaires et contractuels : un vrai parcours"),
        (
            "L'entrée dans le métier est souvent brutale : service complet, affectation "
            "lointaine, peu d'accompagnement.",
            "Les contractuels doivent bénéficier d'un vrai parcours vers la titularisation.",
            "Nous demandons un service allégé pendant la première année de titulaire.",
            "Recruter passe par l'attractivité : salaires, formation et conditions de travail "
            "vont ensemble.",
        ),
        (
            "Un service allégé pour les stagiaires et les néo-titulaires",
            "Un plan de titularisation des contractuels",
            "Une indemnité d'installation revalorisée",
        ),
    ),
    _Theme(
        ("Des élus qui vous rendent compte", "Un dialogue social exigeant"),
        (
            "Après chaque séance {instance_de}, nos élus publient un compte rendu complet.",
            "Nos élus {instance_a} votent selon vos intérêts, jamais par posture.",
            "Le dialogue social n'a de sens que si l'administration transmet ses documents à "
            "temps.",
            "Nous préparons chaque séance avec les collègues concernés.",
        ),
        (
            "Un compte rendu publié après chaque séance",
            "La consultation des collègues avant les votes importants",
            "Des documents de travail transmis à toutes et à tous",
        ),
    ),
)


# ---- building -----------------------------------------------------------------------------------


def build_demo(
    *,
    now: datetime,
    voters: int = 1000,
    kdf: KdfParams = KdfProfile.DEMO.value,
    seed: int = 2026,
    seat_method: SeatMethod = SeatMethod.HIGHEST_AVERAGE,
) -> DemoElection:
    """The whole demo election in memory: signed package, its keys and the voters' secrets.

    ``seat_method`` goes into the signed manifest; the texts' plus forte moyenne by default.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if voters < 1:
        raise ValueError(f"a demo election needs at least one voter, got {voters}")
    window = _window(now)
    year = window.opens_at.year
    scrutins, assets = _scrutins_and_assets(random.Random(f"isoloir-demo/{seed}/lists"), year)
    credentials = _credentials(random.Random(f"isoloir-demo/{seed}/voters"), voters)
    roll = tuple(_voter(credential, kdf) for credential in credentials)

    organizer_key = signing.generate()
    kiosk_keys = {kiosk_id: signing.generate() for kiosk_id, _ in _KIOSKS}
    manifest = Manifest(
        election_id=ElectionId(f"demo-ep-{year}"),
        title=f"Élections professionnelles {year} (démonstration)",
        organizer=Organizer(ORGANIZER_NAME, signing.public_bytes(organizer_key)),
        time_zone=TIME_ZONE,
        window=window,
        scrutins=scrutins,
        seat_method=seat_method,
        roll_path="roll.json",
        voter_count=len(roll),
        kdf=kdf,
        kiosks=tuple(
            KioskKey(kiosk_id, signing.public_bytes(kiosk_keys[kiosk_id]), station)
            for kiosk_id, station in _KIOSKS
        ),
        election_key=None,
        assets={},
    )
    return DemoElection(
        package=package.build(manifest, roll, assets, organizer_key),
        organizer_key=organizer_key,
        kiosk_keys=kiosk_keys,
        credentials=credentials,
    )


def _window(now: datetime) -> VotingWindow:
    paris = ZoneInfo(TIME_ZONE)
    first_day = now.astimezone(paris).date() - timedelta(days=1)
    return VotingWindow(
        opens_at=datetime.combine(first_day, time(8, 0), paris),
        closes_at=datetime.combine(first_day + timedelta(days=8), time(17, 0), paris),
    )


def _scrutins_and_assets(
    rng: random.Random, year: int
) -> tuple[tuple[Scrutin, ...], dict[str, bytes]]:
    election_title = f"Élections professionnelles {year}"
    logos = {union.acronym: logo_png(union.branding) for union in _UNIONS}
    assets: dict[str, bytes] = {}
    scrutins = []
    for plan in _SCRUTINS:
        unions = rng.sample(_UNIONS, plan.list_count)  # ballot order is drawn by lot
        slogans = rng.sample(_SLOGANS, plan.list_count)
        lists = []
        for union, slogan in zip(unions, slogans, strict=True):
            base = f"assets/{plan.id}/{union.list_id}"
            docs = _list_documents(rng, plan, union, slogan, election_title)
            logo = logos[union.acronym]
            entry = CandidateList(
                id=union.list_id,
                name=docs.list_name,
                affiliation=union.name,
                logo=f"{base}/logo.png",
                profession_de_foi=f"{base}/profession-de-foi.pdf",
                ballot=f"{base}/bulletin-de-vote.pdf",
            )
            assets[entry.logo] = logo
            assets[entry.profession_de_foi] = profession_de_foi_pdf(docs, logo)
            assets[entry.ballot] = ballot_pdf(docs, logo)
            lists.append(entry)
        scrutins.append(Scrutin(plan.id, plan.title, plan.seats, tuple(lists), "Vote blanc"))
    return tuple(scrutins), assets


def _list_documents(
    rng: random.Random, plan: _ScrutinPlan, union: _Union, slogan: str, election_title: str
) -> ListDocuments:
    def fill(template: str) -> str:
        return template.format(
            acr=union.acronym,
            electorate=plan.electorate,
            instance_de=plan.instance_de,
            instance_a=plan.instance_a,
        )

    body = [fill(text) for text in rng.sample(_EDITO, 5)]
    edito = (
        " ".join([fill(rng.choice(_OPENERS)), *body[:2]]),
        " ".join(body[2:4]),
        " ".join([body[4], rng.choice(_SIGNOFFS)]),
    )
    page_count = rng.choice((2, 3, 4))
    # Three sections on each later page, two on the last one, which also asks for the vote.
    per_page = [3] * (page_count - 2) + [2]
    themes = iter(rng.sample(_THEMES, sum(per_page)))
    later_pages = tuple(
        tuple(_section(rng, next(themes), fill) for _ in range(count)) for count in per_page
    )
    priorities = tuple(rng.choice(theme.bullets) for theme in rng.sample(_THEMES, 5))
    record = tuple(
        text.format(n=f"{rng.randint(low, high):,}".replace(",", "\u00a0"))
        for text, low, high in rng.sample(_RECORD, 3)
    )
    candidates = _candidates(rng, plan, 2 * plan.seats)
    quotes = tuple(
        Quote(fill(text), rng.choice(candidates[:5]))
        for text in rng.sample(_QUOTES, page_count - 1)
    )
    return ListDocuments(
        election_title=election_title,
        scrutin_title=plan.title,
        seats=plan.seats,
        list_name=f"{union.acronym} – {slogan}",
        union_name=union.name,
        slogan=slogan,
        branding=union.branding,
        titulaires=candidates[: plan.seats],
        suppleants=candidates[plan.seats :],
        edito=edito,
        priorities=priorities,
        record=record,
        later_pages=later_pages,
        quotes=quotes,
        closing=fill(rng.choice(_CLOSINGS)),
        how_to_vote=_HOW_TO_VOTE,
    )


def _section(rng: random.Random, theme: _Theme, fill: _Fill) -> Section:
    sentences = [fill(text) for text in rng.sample(theme.sentences, 4)]
    return Section(
        heading=rng.choice(theme.headings),
        paragraphs=(" ".join(sentences[:2]), " ".join(sentences[2:])),
        bullets=tuple(rng.sample(theme.bullets, 3)),
    )


def _candidates(rng: random.Random, plan: _ScrutinPlan, count: int) -> tuple[Candidate, ...]:
    """Women and men alternate down the list, as French lists must be balanced."""
    woman = rng.random() < 0.5
    seen: set[tuple[str, str]] = set()
    people: list[Candidate] = []
    while len(people) < count:
        first = rng.choice(_WOMEN if woman else _MEN)
        last = rng.choice(_SURNAMES)
        if (first, last) in seen:
            continue
        seen.add((first, last))
        if plan.by_discipline:
            occupation = rng.choice(_DISCIPLINES)
        else:
            occupation = rng.choice(_CORPS)[1 if woman else 0]
        people.append(
            Candidate(
                "Mme" if woman else "M.", first, last, f"{occupation}, {rng.choice(_ACADEMIES)}"
            )
        )
        woman = not woman
    return tuple(people)


def _credentials(rng: random.Random, count: int) -> tuple[DemoCredential, ...]:
    # Voter 1 keeps a working code and voter 2 starts invalidated, so guides can name them.
    invalidated = {2} if count >= 2 else set()
    target = round(count * _INVALIDATED_SHARE)
    invalidated.update(rng.sample(range(3, count + 1), max(0, min(target - 1, count - 2))))
    taken: set[str] = set()
    credentials = []
    for index in range(1, count + 1):
        woman = rng.random() < 0.5
        first = rng.choice(_WOMEN if woman else _MEN)
        last = rng.choice(_SURNAMES)
        local = f"{_ascii(first)}.{_ascii(last)}".lower()
        identifier = f"{local}@{IDENTIFIER_DOMAIN}"
        suffix = 1
        while identifier in taken:
            suffix += 1
            identifier = f"{local}{suffix}@{IDENTIFIER_DOMAIN}"
        taken.add(identifier)
        question, answers = rng.choice(_SECRET_QUESTIONS)
        first_scrutin = _CERTIFIED if rng.random() < _CERTIFIED_SHARE else _AGREGE
        credentials.append(
            DemoCredential(
                voter_id=VoterId(f"electeur-{index:04d}"),
                identifier=identifier,
                display_name=f"{first} {last}",
                password=_password(),
                vote_code=None if index in invalidated else _vote_code(),
                secret_question=question,
                secret_answer=secrets.choice(answers),
                numen=_numen(),
                personal_email=_personal_email(rng, first, last),
                phone="+336" + "".join(str(rng.randrange(10)) for _ in range(8)),
                scrutins=(first_scrutin, _CSA),
            )
        )
    return tuple(credentials)


def _personal_email(rng: random.Random, first: str, last: str) -> str:
    first_ascii, last_ascii = _ascii(first).lower(), _ascii(last).lower()
    local = rng.choice(
        (
            f"{first_ascii}.{last_ascii}{rng.randrange(10, 100)}",
            f"{first_ascii[0]}{last_ascii}",
            f"{last_ascii}.{first_ascii}",
            f"{first_ascii}-{last_ascii}{rng.randrange(1960, 2004)}",
        )
    )
    return f"{local}@{PERSONAL_DOMAIN}"


def _password() -> str:
    return "-".join("".join(secrets.choice(READABLE_ALPHABET) for _ in range(4)) for _ in range(3))


def _vote_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _numen() -> str:
    """Two digits, a letter, seven digits, three letters, like a real NUMEN."""
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # without I and O, read as 1 and 0
    digits = "0123456789"
    parts = (
        (digits, 2),
        (letters, 1),
        (digits, 7),
        (letters, 3),
    )
    return "".join(secrets.choice(alphabet) for alphabet, length in parts for _ in range(length))


def _voter(credential: DemoCredential, kdf: KdfParams) -> Voter:
    return Voter(
        id=credential.voter_id,
        identifier=credential.identifier,
        display_name=credential.display_name,
        password=hash_secret(SecretKind.PASSWORD, credential.password, kdf),
        vote_code=None
        if credential.vote_code is None
        else hash_secret(SecretKind.VOTE_CODE, credential.vote_code, kdf),
        secret_question=credential.secret_question,
        secret_answer=hash_secret(SecretKind.SECRET_ANSWER, credential.secret_answer, kdf),
        numen=hash_secret(SecretKind.NUMEN, credential.numen, kdf),
        personal_email=credential.personal_email,
        phone=credential.phone,
        scrutins=credential.scrutins,
        station=None,
    )


def _ascii(text: str) -> str:
    """Letters of ``text`` without accents, spaces or apostrophes: ``N'Diaye`` -> ``NDiaye``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch == "-"))


# ---- writing ------------------------------------------------------------------------------------

_README: Final = """\
Élection de démonstration Isoloir — SECRETS DE DÉMONSTRATION
=============================================================

Ces fichiers sont les secrets d'une élection FICTIVE, générée pour essayer Isoloir.
Ne les utilisez jamais pour une vraie élection : ils sont stockés en clair et sans phrase
de passe. Les syndicats, les listes et les personnes sont inventés.

  {credentials:<27}identifiants, mots de passe, codes de vote, réponses secrètes, NUMEN
  organizer.key              clé de signature de l'organisateur (Ed25519, non chiffrée)
  kiosks/<borne>.key         clé de chaque borne (Ed25519, non chiffrée)

Empreinte du paquet électoral : {fingerprint}
Pour essayer : l'électeur electeur-0001 a un code de vote valide ; l'électeur
electeur-0002 doit d'abord obtenir un réassort de son code de vote (question secrète + NUMEN).

Isoloir demo election — DEMO SECRETS
====================================

These files are the secrets of a FICTIONAL election generated to try Isoloir.
Never use them for a real election: they are stored in plain text, without a passphrase.
Unions, lists and people are invented.

  {credentials:<27}identifiers, passwords, vote codes, secret answers, NUMEN
  organizer.key              the organizer's signing key (Ed25519, unencrypted)
  kiosks/<kiosk>.key         each kiosk's key (Ed25519, unencrypted)

Election package fingerprint: {fingerprint}
To try it: voter electeur-0001 has a valid vote code; voter electeur-0002 must first get a
new vote code through the "réassort" (secret question + NUMEN).
"""


def write_demo(demo: DemoElection, package_out: Path, secrets_dir: Path) -> None:
    """Write the plaintext secrets into ``secrets_dir`` (new or empty), then the package.

    If anything fails, what this call wrote is removed, so the same command can run again.
    """
    if secrets_dir.exists() and (not secrets_dir.is_dir() or any(secrets_dir.iterdir())):
        raise FileExistsError(f"{secrets_dir}: exists and is not an empty folder")
    if package_out.exists():
        raise FileExistsError(f"{package_out}: exists already; choose a new name")
    try:
        _write_secrets(demo, secrets_dir)
        package.write(demo.package, package_out)
    except BaseException:
        shutil.rmtree(secrets_dir, ignore_errors=True)
        raise


def _write_secrets(demo: DemoElection, secrets_dir: Path) -> None:
    secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_private(secrets_dir / CREDENTIALS_FILE, _credentials_csv(demo.credentials))
    signing.save_private_key(demo.organizer_key, secrets_dir / "organizer.key")
    (secrets_dir / "kiosks").mkdir(mode=0o700)
    for kiosk_id, key in sorted(demo.kiosk_keys.items()):
        signing.save_private_key(key, secrets_dir / "kiosks" / f"{kiosk_id}.key")
    readme = _README.format(credentials=CREDENTIALS_FILE, fingerprint=demo.package.fingerprint)
    (secrets_dir / "README.txt").write_text(readme, encoding="utf-8")


def _credentials_csv(credentials: tuple[DemoCredential, ...]) -> bytes:
    """The credentials CSV: UTF-8, a header row, one row per voter."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ROLL_COLUMNS)
    writer.writeheader()
    for c in credentials:
        writer.writerow(
            {
                "voter_id": c.voter_id,
                "identifier": c.identifier,
                "display_name": c.display_name,
                "password": c.password,
                "vote_code": c.vote_code or "",
                "vote_code_state": "active" if c.vote_code is not None else "invalidated",
                "secret_question": c.secret_question,
                "secret_answer": c.secret_answer,
                "numen": c.numen,
                "personal_email": c.personal_email,
                "phone": c.phone,
                "scrutins": " ".join(c.scrutins),
                "station": "",
            }
        )
    return out.getvalue().encode("utf-8")


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as sink:
        sink.write(data)
