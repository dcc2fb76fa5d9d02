"""projects set up in the UI (beneficiary, partners, retention) and the starter course catalogue

The eleven course categories are the courses table's check constraint (0001); this revision
adds one course per category, so a fresh install has a catalogue without the demo. It inserts
only the codes that are missing and its downgrade deletes only those of its codes that no
cohort uses.

Revises: 0008
Create Date: 2026-11-30 07:30:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

#: (code, category, title, planned hours, modality, description, competences); frozen here,
#: as a migration must not change when the application's code does
STARTER_CATALOGUE = [
    ("C-IOT", "iot_energy", "Managementul energiei cu platforme IoT", 60, "blended",
     "Monitorizarea consumurilor cu senzori și platforme IoT, analiza datelor și măsuri de "
     "eficiență energetică în atelier și birou.",
     "Configurarea senzorilor și a gateway-urilor IoT; interpretarea tablourilor de bord "
     "energetice; planificarea măsurilor de economisire."),
    ("C-QI40", "quality_industry40", "Managementul calității în Industria 4.0", 60, "classroom",
     "Controlul statistic al proceselor, trasabilitatea digitală și sisteme de calitate "
     "conectate la linia de producție.",
     "Aplicarea SPC; documentarea neconformităților; utilizarea datelor din producție pentru "
     "îmbunătățirea continuă."),
    ("C-CYBER", "cyber_security", "Securitate cibernetică pentru IMM", 40, "online",
     "Riscurile informatice ale unei firme mici, parole și autentificare în doi pași, copii de "
     "siguranță, phishing și răspunsul la incidente.",
     "Recunoașterea atacurilor de tip phishing; configurarea copiilor de siguranță; aplicarea "
     "unei politici de securitate în firmă."),
    ("C-SFA", "sales_force_automation", "Automatizarea forței de vânzări", 40, "blended",
     "Gestiunea ofertelor, a comenzilor și a agenților de vânzări cu aplicații mobile și "
     "raportare automată.",
     "Urmărirea pipeline-ului de vânzări; automatizarea ofertelor; analiza performanței "
     "agenților."),
    ("C-CAD3D", "cad_3d_printing", "Proiectare CAD pentru imprimare 3D", 80, "classroom",
     "Modelarea pieselor pentru fabricația aditivă, pregătirea fișierelor și parametrii de "
     "imprimare 3D.",
     "Modelare parametrică; exportul și verificarea fișierelor STL; alegerea materialelor și a "
     "parametrilor de imprimare."),
    ("C-CNC", "cnc_programming", "Programarea mașinilor-unelte cu comandă numerică (CNC)", 80,
     "classroom",
     "Programare în cod G, simularea traseelor de sculă și reglarea mașinilor CNC de frezat și "
     "strunjit.",
     "Scrierea și verificarea programelor CNC; alegerea sculelor și a regimurilor de așchiere; "
     "simularea prelucrărilor."),
    ("C-ROBOT", "process_simulation_robots",
     "Simularea proceselor automatizate și programarea roboților industriali", 120, "classroom",
     "Simularea celulelor robotizate, programarea traiectoriilor și integrarea roboților în "
     "fluxul de producție.",
     "Programarea roboților industriali; simularea și optimizarea ciclurilor; reguli de "
     "siguranță în celulele robotizate."),
    ("C-BIT", "business_it", "Aplicații IT pentru eficientizarea activității economice", 40,
     "blended",
     "Foi de calcul avansate, documente partajate și automatizarea sarcinilor administrative "
     "repetitive.",
     "Utilizarea avansată a foilor de calcul; lucrul colaborativ în cloud; automatizarea "
     "rapoartelor."),
    ("C-CRM", "crm", "Gestiunea relației cu clienții (CRM)", 40, "online",
     "Evidența clienților, a oportunităților și a campaniilor într-o aplicație CRM.",
     "Gestionarea contactelor și a oportunităților; segmentarea clienților; rapoarte de "
     "vânzări și fidelizare."),
    ("C-ERP", "erp", "Planificarea resurselor întreprinderii (ERP)", 60, "blended",
     "Stocuri, achiziții, producție și contabilitate integrate într-un sistem ERP.",
     "Înregistrarea fluxurilor de aprovizionare și vânzare; planificarea producției; "
     "interpretarea rapoartelor ERP."),
    ("C-CAD", "cad", "Aplicații de proiectare asistată de calculator (CAD)", 80, "classroom",
     "Desen tehnic 2D, modelare 3D și documentație de execuție cu aplicații CAD.",
     "Realizarea desenelor de execuție; modelarea ansamblurilor; cotarea și documentarea "
     "proiectelor."),
]

courses = sa.table(
    'courses', sa.column('id', sa.Integer), sa.column('code', sa.String),
    sa.column('category', sa.String), sa.column('title', sa.String),
    sa.column('planned_hours', sa.Numeric), sa.column('modality', sa.String),
    sa.column('description', sa.Text), sa.column('competences', sa.Text),
    sa.column('created_at', sa.DateTime(timezone=True)),
    sa.column('updated_at', sa.DateTime(timezone=True)),
)
cohorts = sa.table('cohorts', sa.column('course_id', sa.Integer))


def upgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('beneficiary', sa.String(length=300), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('partners', sa.JSON(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('retention_years', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_projects_retention_range'), 'retention_years IS NULL OR retention_years BETWEEN 1 AND 100')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.alter_column('beneficiary', server_default=None)
        batch_op.alter_column('partners', server_default=None)
    seed_starter_catalogue(op.get_bind())


def seed_starter_catalogue(connection) -> int:
    """Insert the starter courses whose code is not taken yet; how many went in."""
    codes = [row[0] for row in STARTER_CATALOGUE]
    taken = set(connection.scalars(sa.select(courses.c.code).where(courses.c.code.in_(codes))))
    now = datetime.now(UTC)
    rows = [
        {"code": code, "category": category, "title": title, "planned_hours": hours,
         "modality": modality, "description": description, "competences": competences,
         "created_at": now, "updated_at": now}
        for code, category, title, hours, modality, description, competences in STARTER_CATALOGUE
        if code not in taken
    ]
    if rows:
        connection.execute(sa.insert(courses), rows)
    return len(rows)


def remove_starter_catalogue(connection) -> int:
    """Delete the starter courses no cohort uses; how many went."""
    codes = [row[0] for row in STARTER_CATALOGUE]
    return connection.execute(sa.delete(courses).where(
        courses.c.code.in_(codes),
        ~courses.c.id.in_(sa.select(cohorts.c.course_id).where(cohorts.c.course_id.is_not(None))),
    )).rowcount


def downgrade():
    remove_starter_catalogue(op.get_bind())
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_projects_retention_range'), type_='check')
        batch_op.drop_column('retention_years')
        batch_op.drop_column('partners')
        batch_op.drop_column('beneficiary')
