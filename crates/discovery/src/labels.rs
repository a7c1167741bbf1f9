//! What a label says a value is, in the languages CRMs are used in.
//!
//! Labels are matched after folding (lower case, accents removed) as whole words or phrases,
//! so "Mobile phone", "Téléphone (bureau)" and "Handy:" all read as phones. A label that names
//! an identifier, a date or an amount marks its value as "not a phone", whatever it looks like.

use crate::memo::{remember, Table};
use crm_bridge::contacts::search::fold;

/// What a labelled value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A phone number of the given widget phone type.
    Phone(PhoneKind),
    /// An e-mail address.
    Email,
    /// The whole name.
    Name,
    /// Given name.
    FirstName,
    /// Family name.
    LastName,
    /// Company or organisation.
    Company,
    /// Job title.
    JobTitle,
    /// Country (gives national numbers their region).
    Country,
    /// Postal address (its last line may name the country).
    Address,
    /// An identifier, date, amount or code: never a phone, whatever its digits.
    NotPhone,
    /// Notes, comments, a description: what people write, whose numbers and names are never
    /// the record's own.
    FreeText,
}

/// The widget's phone types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    /// Mobile / cell.
    Mobile,
    /// Office, work, direct line.
    Business,
    /// Private line.
    Home,
    /// Fax.
    Fax,
    /// A phone without a kind.
    Other,
}

impl PhoneKind {
    /// The widget's name for the type.
    pub fn widget_name(self) -> &'static str {
        match self {
            Self::Mobile => "mobile",
            Self::Business => "business",
            Self::Home => "home",
            Self::Fax => "fax",
            Self::Other => "other",
        }
    }
}

// Each list: folded words or phrases. Order of the checks below matters: "company phone" is a
// phone, "phone order id" is not, "e-mail" is not "mail order".
const NOT_PHONE: &[&str] = &[
    "website",
    "web site",
    "site web",
    "site internet",
    "sitio web",
    "webseite",
    "homepage",
    "order",
    "invoice",
    "id",
    "no",
    "nr",
    "ref",
    "reference",
    "ticket",
    "case",
    "sku",
    "serial",
    "account number",
    "customer number",
    "client number",
    "vat",
    "tax",
    "iban",
    "bic",
    "swift",
    "date",
    "time",
    "created",
    "updated",
    "birthday",
    "dob",
    "price",
    "amount",
    "total",
    "revenue",
    "balance",
    "zip",
    "postal",
    "postcode",
    "post code",
    "plz",
    "cep",
    "cap",
    "siret",
    "siren",
    "bestellung",
    "bestellnummer",
    "rechnung",
    "rechnungsnummer",
    "kundennummer",
    "datum",
    "preis",
    "betrag",
    "commande",
    "facture",
    "prix",
    "montant",
    "code postal",
    "pedido",
    "factura",
    "fecha",
    "precio",
    "importe",
    "fatura",
    "preco",
    "valor",
    "data",
    "ordine",
    "fattura",
    "prezzo",
    "importo",
    "bestelling",
    "factuur",
    "prijs",
    "bedrag",
    "postcode",
    "заказ",
    "счет",
    "счёт",
    "дата",
    "цена",
    "сумма",
    "индекс",
    "注文",
    "請求",
    "日付",
    "価格",
    "金額",
    "郵便番号",
    "订单",
    "发票",
    "日期",
    "价格",
    "金额",
    "邮编",
    "编号",
    "番号",
];
const FREE_TEXT: &[&str] = &[
    "note",
    "notes",
    "comment",
    "comments",
    "remark",
    "remarks",
    "description",
    "memo",
    "message",
    "background",
    "bio",
    "activity",
    "activities",
    "post",
    "reply",
    "feedback",
    "bemerkung",
    "bemerkungen",
    "notiz",
    "notizen",
    "kommentar",
    "kommentare",
    "anmerkung",
    "anmerkungen",
    "beschreibung",
    "commentaire",
    "commentaires",
    "remarque",
    "remarques",
    "nota",
    "notas",
    "comentario",
    "comentarios",
    "observaciones",
    "observacoes",
    "descripcion",
    "descricao",
    "commento",
    "commenti",
    "descrizione",
    "opmerking",
    "opmerkingen",
    "notitie",
    "notities",
    "beschrijving",
    "примечание",
    "примечания",
    "комментарий",
    "комментарии",
    "заметка",
    "заметки",
    "описание",
    "備考",
    "メモ",
    "コメント",
    "説明",
    "备注",
    "评论",
    "说明",
    "描述",
];
const FAX: &[&str] = &[
    "fax",
    "telefax",
    "факс",
    "ファックス",
    "ファクス",
    "传真",
    "傳真",
];
const MOBILE: &[&str] = &[
    "mobile",
    "mobile phone",
    "cell",
    "cellphone",
    "cell phone",
    "handy",
    "mobil",
    "mobiltelefon",
    "mobilnummer",
    "portable",
    "movil",
    "celular",
    "telemovel",
    "cellulare",
    "mobiel",
    "gsm",
    "мобильный",
    "мобильный телефон",
    "сотовый",
    "携帯",
    "携帯電話",
    "手机",
    "手機",
    "移动电话",
];
const HOME: &[&str] = &[
    "home",
    "home phone",
    "privat",
    "private",
    "domicile",
    "casa",
    "thuis",
    "домашний",
    "自宅",
    "家庭电话",
    "住宅",
];
const BUSINESS: &[&str] = &[
    "work",
    "work phone",
    "office",
    "business",
    "direct",
    "direct line",
    // A line's own name in a CRM's list of phones: the line, never a person.
    "reception",
    "switchboard",
    "front desk",
    "head office",
    "headquarters",
    "hotline",
    "standard",
    "accueil",
    "siege",
    "zentrale",
    "empfang",
    "durchwahl",
    "centralita",
    "recepcion",
    "centralino",
    "recepcao",
    "代表",
    "受付",
    "总机",
    "company phone",
    "main",
    "main phone",
    "buro",
    "buero",
    "geschaftlich",
    "dienstlich",
    "bureau",
    "travail",
    "oficina",
    "trabajo",
    "escritorio",
    "comercial",
    "ufficio",
    "lavoro",
    "werk",
    "kantoor",
    "рабочий",
    "офис",
    "会社",
    "勤務先",
    "办公",
    "办公室",
    "工作",
];
const PHONE: &[&str] = &[
    "phone",
    "phone number",
    "telephone",
    "tel",
    "tel no",
    "tel nr",
    "contact number",
    "telefon",
    "telefonnummer",
    "rufnummer",
    "fon",
    "telephone",
    "tel.",
    "numero de telephone",
    "telefono",
    "numero de telefono",
    "telefone",
    "numero de telefone",
    "numero di telefono",
    "telefoon",
    "telefoonnummer",
    "телефон",
    "тел",
    "номер телефона",
    "電話",
    "電話番号",
    "电话",
    "电话号码",
    "電話號碼",
    "联系电话",
    "座机",
    "tel/fax",
];
const EMAIL: &[&str] = &[
    "email",
    "e mail",
    "mail",
    "email address",
    "e mail address",
    "courriel",
    "correo",
    "correo electronico",
    "posta elettronica",
    "почта",
    "электронная почта",
    "メール",
    "メールアドレス",
    "邮箱",
    "电子邮件",
    "電子郵件",
];
const FIRST: &[&str] = &[
    "first name",
    "firstname",
    "given name",
    "forename",
    "vorname",
    "prenom",
    "nombre de pila",
    "primeiro nome",
    "voornaam",
    "имя",
    "名",
    "名字",
];
const LAST: &[&str] = &[
    "last name",
    "lastname",
    "surname",
    "family name",
    "nachname",
    "familienname",
    "nom de famille",
    "apellido",
    "apellidos",
    "sobrenome",
    "apelido",
    "cognome",
    "achternaam",
    "фамилия",
    "姓",
];
const NAME: &[&str] = &[
    "name",
    "full name",
    "contact",
    "contact name",
    "person",
    "customer",
    "client",
    "lead",
    "ansprechpartner",
    "kontakt",
    "nom",
    "nom complet",
    "nombre",
    "nombre completo",
    "contacto",
    "nome",
    "nome completo",
    "contato",
    "cliente",
    "naam",
    "volledige naam",
    "contactpersoon",
    "фио",
    "имя",
    "контакт",
    "клиент",
    "名前",
    "氏名",
    "担当者",
    "姓名",
    "联系人",
    "客户",
];
const COMPANY: &[&str] = &[
    "company",
    "company name",
    "organisation",
    "organization",
    "org",
    "account",
    "employer",
    "firma",
    "unternehmen",
    "societe",
    "entreprise",
    "organisation",
    "empresa",
    "compania",
    "azienda",
    "societa",
    "ditta",
    "bedrijf",
    "организация",
    "компания",
    "会社",
    "会社名",
    "企業",
    "公司",
    "企业",
    "单位",
];
const TITLE: &[&str] = &[
    "title",
    "job title",
    "position",
    "role",
    "funktion",
    "position",
    "poste",
    "fonction",
    "cargo",
    "puesto",
    "ruolo",
    "functie",
    "должность",
    "役職",
    "职位",
    "职务",
];
const COUNTRY: &[&str] = &[
    "country",
    "land",
    "pays",
    "pais",
    "paese",
    "nazione",
    "страна",
    "国",
    "国家",
    "国・地域",
    "country region",
];
const ADDRESS: &[&str] = &[
    "address",
    "adresse",
    "anschrift",
    "direccion",
    "endereco",
    "indirizzo",
    "adres",
    "адрес",
    "住所",
    "地址",
    "mailing address",
    "billing address",
];

/// The word lists, folded the way labels are (so "Рабочий" and "Téléphone" meet their label).
struct Vocabulary([Vec<String>; 15]);

const LISTS: [&[&str]; 15] = [
    NOT_PHONE, FAX, MOBILE, HOME, BUSINESS, PHONE, EMAIL, FIRST, LAST, NAME, COMPANY, TITLE,
    COUNTRY, ADDRESS, FREE_TEXT,
];

/// Indexes into [`LISTS`].
mod w {
    pub const NOT_PHONE: usize = 0;
    pub const FAX: usize = 1;
    pub const MOBILE: usize = 2;
    pub const HOME: usize = 3;
    pub const BUSINESS: usize = 4;
    pub const PHONE: usize = 5;
    pub const EMAIL: usize = 6;
    pub const FIRST: usize = 7;
    pub const LAST: usize = 8;
    pub const NAME: usize = 9;
    pub const COMPANY: usize = 10;
    pub const TITLE: usize = 11;
    pub const COUNTRY: usize = 12;
    pub const ADDRESS: usize = 13;
    pub const FREE_TEXT: usize = 14;
}

fn vocabulary() -> &'static Vocabulary {
    static VOCABULARY: std::sync::OnceLock<Vocabulary> = std::sync::OnceLock::new();
    VOCABULARY
        .get_or_init(|| Vocabulary(LISTS.map(|list| list.iter().map(|w| normalise(w)).collect())))
}

/// Labels repeat (a column header labels every cell of its column): answers are remembered,
/// up to this many distinct labels, then forgotten wholesale.
const MEMO_LIMIT: usize = 4096;

thread_local! {
    static ROLES: Table<String, Option<Role>> = Default::default();
}

/// The role a label gives its value, if it gives one.
pub fn role(label: &str) -> Option<Role> {
    remember(&ROLES, MEMO_LIMIT, label, || role_uncached(label))
}

fn role_uncached(label: &str) -> Option<Role> {
    let folded = normalise(label);
    if folded.is_empty() || folded.chars().count() > 48 {
        return None;
    }
    let words = vocabulary();
    // Exact label first: "名" alone is a given name, not part of "名前".
    let exact = |list: usize| words.0[list].contains(&folded);
    let has = |list: usize| words.0[list].iter().any(|w| contains_word(&folded, w));
    if exact(w::EMAIL) {
        return Some(Role::Email);
    }
    if exact(w::FIRST) {
        return Some(Role::FirstName);
    }
    if exact(w::LAST) {
        return Some(Role::LastName);
    }
    if exact(w::NAME) {
        return Some(Role::Name);
    }
    if has(w::NOT_PHONE) && !has(w::PHONE) && !has(w::MOBILE) && !has(w::FAX) {
        return Some(Role::NotPhone);
    }
    // "Notes", "Phone notes", "Background": a field people type into, whatever it holds.
    if has(w::FREE_TEXT) {
        return Some(Role::FreeText);
    }
    if has(w::FAX) {
        return Some(Role::Phone(PhoneKind::Fax));
    }
    if has(w::MOBILE) {
        return Some(Role::Phone(PhoneKind::Mobile));
    }
    let phone = has(w::PHONE);
    if has(w::HOME) && (phone || exact(w::HOME)) {
        return Some(Role::Phone(PhoneKind::Home));
    }
    if has(w::BUSINESS) && (phone || exact(w::BUSINESS)) {
        return Some(Role::Phone(PhoneKind::Business));
    }
    if phone {
        return Some(Role::Phone(PhoneKind::Other));
    }
    if has(w::EMAIL) {
        return Some(Role::Email);
    }
    if has(w::FIRST) {
        return Some(Role::FirstName);
    }
    if has(w::LAST) {
        return Some(Role::LastName);
    }
    if has(w::COMPANY) {
        return Some(Role::Company);
    }
    if has(w::COUNTRY) {
        return Some(Role::Country);
    }
    if has(w::ADDRESS) {
        return Some(Role::Address);
    }
    if has(w::TITLE) {
        return Some(Role::JobTitle);
    }
    if has(w::NAME) {
        return Some(Role::Name);
    }
    None
}

/// Whether a column header or label says its cell is the type of its row's line ("Type",
/// "Kind", "Art"), as in a CRM's list of a record's phones and e-mails.
pub fn is_type_label(label: &str) -> bool {
    const TYPE_WORDS: &[&str] = &[
        "type",
        "kind",
        "typ",
        "art",
        "tipo",
        "genre",
        "category",
        "categorie",
        "kategorie",
        "categoria",
        "soort",
        "contact type",
        "phone type",
        "type de contact",
        "тип",
        "種類",
        "種別",
        "タイプ",
        "类型",
        "類型",
    ];
    TYPE_WORDS.contains(&normalise(label).as_str())
}

/// Whether a text is a label or a UI title made of label words ("Phone", "Contact details",
/// "Edit contact"), not a person's or company's name.
pub fn is_label(text: &str) -> bool {
    const UI_WORDS: &[&str] = &[
        "people",
        "team",
        "directory",
        "members",
        "employees",
        "contacts",
        "kontakte",
        "contactos",
        "contatos",
        "contatti",
        "contacten",
        "контакты",
        "клиенты",
        "連絡先",
        "leads",
        "customers",
        "clients",
        "accounts",
        "companies",
        "details",
        "detail",
        "information",
        "info",
        "edit",
        "new",
        "view",
        "see",
        "show",
        "open",
        "more",
        // The same actions in the languages of the word lists: a record's "Edit" link is no
        // one's name in any language.
        "voir",
        "modifier",
        "afficher",
        "ouvrir",
        "editer",
        "supprimer",
        "ansehen",
        "bearbeiten",
        "offnen",
        "anzeigen",
        "loschen",
        "ver",
        "editar",
        "abrir",
        "mostrar",
        "eliminar",
        "visualizza",
        "modifica",
        "apri",
        "bekijken",
        "bewerken",
        "openen",
        "просмотр",
        "изменить",
        "открыть",
        "表示",
        "編集",
        "開く",
        "查看",
        "编辑",
        "打开",
        "profile",
        "overview",
        "list",
        "all",
        "my",
        "of",
        "and",
        "the",
        "record",
        "add",
        "create",
        "data",
        "card",
        "s",
    ];
    let folded = normalise(text);
    if folded.is_empty() {
        return false;
    }
    let words = vocabulary();
    let known =
        |w: &str| UI_WORDS.contains(&w) || words.0.iter().any(|list| list.iter().any(|v| v == w));
    known(&folded) || folded.split(' ').all(known)
}

/// A control's `name`/`autocomplete`/`type` hints read as a role (`tel`, `email`, `given-name`,
/// `phone_mobile`, `contact[phone]`).
pub fn hint_role(hints: &str) -> Option<Role> {
    let words: Vec<String> = hints
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    let any = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    if any(&[
        "note",
        "notes",
        "comment",
        "comments",
        "description",
        "remarks",
        "memo",
        "message",
        "body",
        "background",
        "bio",
    ]) {
        return Some(Role::FreeText);
    }
    if any(&["fax"]) {
        return Some(Role::Phone(PhoneKind::Fax));
    }
    if any(&["mobile", "cell", "mobil", "handy"]) {
        return Some(Role::Phone(PhoneKind::Mobile));
    }
    if any(&["tel", "phone", "telephone", "telefon", "telefono"]) {
        return Some(Role::Phone(PhoneKind::Other));
    }
    if any(&["email", "mail"]) {
        return Some(Role::Email);
    }
    if any(&["given", "firstname", "first", "fname", "vorname"]) {
        return Some(Role::FirstName);
    }
    if any(&["family", "lastname", "last", "surname", "lname", "nachname"]) {
        return Some(Role::LastName);
    }
    if any(&["organization", "organisation", "company", "org", "account"]) {
        return Some(Role::Company);
    }
    if any(&["country"]) {
        return Some(Role::Country);
    }
    if any(&["name", "fullname"]) {
        return Some(Role::Name);
    }
    None
}

fn normalise(label: &str) -> String {
    let folded = fold(label);
    let cleaned: String = folded
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '/' {
                c
            } else {
                ' '
            }
        })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `word` occurs in `text` on word boundaries (for scripts without spaces: anywhere, except a
/// one-character word such as 名 or 国, which must be the whole label).
fn contains_word(text: &str, word: &str) -> bool {
    if word.chars().any(|c| c as u32 >= 0x3000) {
        return if word.chars().count() == 1 {
            text == word
        } else {
            text.contains(word)
        };
    }
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_labels_in_many_languages_and_their_kinds() {
        for (label, kind) in [
            ("Phone", PhoneKind::Other),
            ("Mobile phone:", PhoneKind::Mobile),
            ("Handy", PhoneKind::Mobile),
            ("Téléphone (bureau)", PhoneKind::Business),
            ("Teléfono móvil", PhoneKind::Mobile),
            ("Telefone", PhoneKind::Other),
            ("Telefoonnummer", PhoneKind::Other),
            ("Рабочий телефон", PhoneKind::Business),
            ("携帯電話", PhoneKind::Mobile),
            ("电话", PhoneKind::Other),
            ("Fax", PhoneKind::Fax),
            ("Home phone", PhoneKind::Home),
            ("Work", PhoneKind::Business),
        ] {
            assert_eq!(role(label), Some(Role::Phone(kind)), "{label}");
        }
    }

    #[test]
    fn identifiers_dates_and_amounts_are_never_phones() {
        for label in [
            "Order #",
            "Invoice no.",
            "Kundennummer",
            "Date",
            "Fecha",
            "Postal code",
            "IBAN",
            "Total",
            "注文番号",
            "Customer ID",
        ] {
            assert_eq!(role(label), Some(Role::NotPhone), "{label}");
        }
    }

    #[test]
    fn fields_people_type_into() {
        for label in [
            "Notes",
            "Comments",
            "Bemerkungen",
            "Description",
            "備考",
            "Phone notes",
        ] {
            assert_eq!(role(label), Some(Role::FreeText), "{label}");
        }
        assert_eq!(hint_role("contact[notes]"), Some(Role::FreeText));
        assert_eq!(role("Post code"), Some(Role::NotPhone));
        assert_eq!(role("Phone"), Some(Role::Phone(PhoneKind::Other)));
    }

    #[test]
    fn names_companies_and_places() {
        assert_eq!(role("Name"), Some(Role::Name));
        assert_eq!(role("Full name"), Some(Role::Name));
        assert_eq!(role("Vorname"), Some(Role::FirstName));
        assert_eq!(role("Nom de famille"), Some(Role::LastName));
        assert_eq!(role("Nom"), Some(Role::Name));
        assert_eq!(role("Company name"), Some(Role::Company));
        assert_eq!(role("Société"), Some(Role::Company));
        assert_eq!(role("Country/Region"), Some(Role::Country));
        assert_eq!(role("E-mail"), Some(Role::Email));
        assert_eq!(role("氏名"), Some(Role::Name));
        assert_eq!(role("Notes about the weekly call"), Some(Role::FreeText));
        assert_eq!(
            role("会社名"),
            Some(Role::Company),
            "名 alone is a given name, 会社名 is not"
        );
        assert_eq!(role("山田太郎"), None);
    }

    #[test]
    fn labels_and_ui_titles_are_not_names() {
        for label in [
            "Phone",
            "Contact details",
            "Edit contact",
            "Contacts",
            "電話番号",
            "Kontakte",
        ] {
            assert!(is_label(label), "{label}");
        }
        for name in [
            "Ava Thompson",
            "株式会社サクラ",
            "Müller & Söhne GmbH",
            "Mark Office",
        ] {
            assert!(!is_label(name), "{name}");
        }
    }

    #[test]
    fn control_hints() {
        assert_eq!(
            hint_role("contact[phone_mobile] tel"),
            Some(Role::Phone(PhoneKind::Mobile))
        );
        assert_eq!(hint_role("given-name"), Some(Role::FirstName));
        assert_eq!(hint_role("email"), Some(Role::Email));
        assert_eq!(hint_role("q search"), None);
    }
}
