# Seeds a Creme CRM with people and companies whose details are known, for the discovery corpus.
import json, sys
from django.contrib.auth import get_user_model
from creme.persons import get_contact_model, get_organisation_model, get_address_model
from creme.creme_core.models import Relation
from creme.persons.constants import REL_SUB_EMPLOYED_BY

User = get_user_model()
Contact = get_contact_model(); Organisation = get_organisation_model(); Address = get_address_model()
admin = User.objects.filter(username='root').first() or User.objects.filter(is_superuser=True).first()
if admin is None:
    admin = User.objects.create_superuser(username='admin', first_name='Ada', last_name='Admin', email='admin@example.test', password='admin-pass-1')
admin.set_password('admin-pass-1'); admin.save()

ORGS = [
    ('Northwind Traders', '+1 206 555 0100', '+1 206 555 0109', 'Seattle', '98101', 'United States'),
    ('Boulangerie Martin', '01 42 68 53 00', '01 42 68 53 09', 'Paris', '75008', 'France'),
    ('Müller Maschinenbau GmbH', '030 1234567', '030 1234568', 'Berlin', '10115', 'Germany'),
    ('Transportes Rio Ltda', '(21) 3456-7890', '', 'Rio de Janeiro', '20040-002', 'Brazil'),
    ('山田商事株式会社', '03-3555-0123', '03-3555-0124', '東京都千代田区', '100-0001', 'Japan'),
    ('Cervecería Andaluza', '954 12 34 56', '', 'Sevilla', '41001', 'Spain'),
]
PEOPLE = [
    # first, last, phone, mobile, fax, email, org index
    ('Ava', 'Thompson', '(206) 555-0147', '206-555-0199', '', 'ava@northwind.test', 0),
    ('Liam', 'Carter', '+1 425 555 0111', '', '+1 425 555 0112', 'liam@northwind.test', 0),
    ('Noah', 'Brooks', '', '(503) 555-0123', '', '', 0),
    ('Camille', 'Lefèvre', '01 45 67 89 10', '06 12 34 56 78', '', 'camille@martin.test', 1),
    ('Hélène', 'Dubois', '', '07 98 76 54 32', '01 45 67 89 11', '', 1),
    ('Jürgen', 'Schäfer', '030 9876543', '0171 2345678', '', 'js@mueller.test', 2),
    ('Anna', 'Weiß', '+49 89 123456', '', '', '', 2),
    ('João', 'Silva', '(21) 2233-4455', '(21) 98765-4321', '', 'joao@rio.test', 3),
    ('Mariana', 'Costa', '', '+55 11 91234-5678', '', '', 3),
    ('太郎', '山田', '03-3555-0150', '090-1234-5678', '', 'taro@yamada.test', 4),
    ('花子', '鈴木', '06-6555-0160', '', '', '', 4),
    ('Lucía', 'Fernández', '954 22 33 44', '612 34 56 78', '', 'lucia@andaluza.test', 5),
    ('Carlos', 'Ruiz', '', '+34 699 88 77 66', '', '', 5),
    ('Grace', 'Hopper', '+1 212 555 0175', '', '', 'grace@example.test', None),
]

made = {'orgs': [], 'contacts': []}
orgs = []
for name, phone, fax, city, zipcode, country in ORGS:
    org, _ = Organisation.objects.get_or_create(name=name, defaults={'user': admin})
    org.phone = phone; org.fax = fax; org.save()
    if not org.billing_address:
        addr = Address.objects.create(owner=org, name='Billing', address='1 Main', city=city, zipcode=zipcode, country=country)
        org.billing_address = addr; org.save()
    orgs.append(org)
    made['orgs'].append({'pk': org.pk, 'name': name, 'phone': phone, 'fax': fax, 'country': country})
for first, last, phone, mobile, fax, email, oi in PEOPLE:
    c, _ = Contact.objects.get_or_create(first_name=first, last_name=last, defaults={'user': admin})
    c.phone = phone; c.mobile = mobile; c.fax = fax; c.email = email; c.save()
    country = ORGS[oi][5] if oi is not None else 'United States'
    if not c.billing_address:
        addr = Address.objects.create(owner=c, name='Home', address='2 Side St', city=ORGS[oi][3] if oi is not None else 'New York', country=country)
        c.billing_address = addr; c.save()
    if oi is not None and not Relation.objects.filter(subject_entity=c.pk, type_id=REL_SUB_EMPLOYED_BY).exists():
        Relation.objects.create(user=admin, subject_entity=c, type_id=REL_SUB_EMPLOYED_BY, object_entity=orgs[oi])
    made['contacts'].append({'pk': c.pk, 'first': first, 'last': last, 'phone': phone, 'mobile': mobile, 'fax': fax, 'country': country, 'org': oi})
import os
json.dump(made, open(os.environ.get('SEEDED', '/tmp/creme-work/seeded.json'), 'w'), ensure_ascii=False, indent=1)
print('seeded', len(made['orgs']), 'orgs', len(made['contacts']), 'contacts; admin', admin.username)
