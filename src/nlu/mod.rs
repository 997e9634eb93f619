//! Natural-language understanding: maps a customer's free Spanish text onto the menu.
//!
//! The conversation only sees the [`Classifier`] trait and the small helpers below
//! (yes/no answers, request numbers, picking a request by its description, cancelling).
//! Everything else is behind them:
//! - [`data`]: the intents file (Rasa NLU format plus `option`, `description`,
//!   `keywords` and a `reclamos:` thresholds block), parsed by one function;
//! - [`text`]: normalisation (accents, case, punctuation, repeated letters) and the
//!   phonetic key used for typo correction;
//! - [`model`]: the default [`YamlClassifier`] (typo-tolerant lexicon, clause-level
//!   negation, TF-IDF features, logistic regression trained at start-up);
//! - [`entities`]: menu numbers, yes/no, request numbers, picking by description,
//!   cancelling;
//! - [`eval`]: the `reclamos eval` command;
//! - [`review`]: learning from real traffic (the inbox's grouping, corrections, adding
//!   labelled sentences to an intents file).

pub mod data;
pub mod entities;
pub mod eval;
pub mod model;
pub mod review;
pub mod review_cli;
pub mod select;
#[cfg(test)]
mod tests;
pub mod text;
#[cfg(feature = "zero-shot")]
pub mod zero_shot;

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

pub use data::{IntentsError, RuleConfidence, Thresholds, TrainingData};
pub use entities::{menu_number, Topic};
pub use model::YamlClassifier;

/// The confidence below which the model's wish for a person in a message that names
/// nothing of the company's is no evidence ([`Prediction::unrelated_if`]).
pub(crate) const UNRELATED_BELOW: f32 = 0.8;

/// The four menu options plus abstention. Names match the YAML intent names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Intent {
    /// (1) Revisar atenciones anteriores.
    RevisarAtenciones,
    /// (2) Reiniciar servicios.
    ReiniciarServicios,
    /// (3) Contactar a un ejecutivo.
    ContactarEjecutivo,
    /// (4) Salir.
    Salir,
    /// No option fits: the classifier abstains.
    Fallback,
}

impl Intent {
    /// The four menu intents in menu order.
    pub const OPTIONS: [Intent; 4] = [
        Intent::RevisarAtenciones,
        Intent::ReiniciarServicios,
        Intent::ContactarEjecutivo,
        Intent::Salir,
    ];

    /// The intent's name in YAML files (`revisar_atenciones`, ..., `nlu_fallback`).
    pub fn name(self) -> &'static str {
        match self {
            Intent::RevisarAtenciones => "revisar_atenciones",
            Intent::ReiniciarServicios => "reiniciar_servicios",
            Intent::ContactarEjecutivo => "contactar_ejecutivo",
            Intent::Salir => "salir",
            Intent::Fallback => "nlu_fallback",
        }
    }

    /// Parses a YAML intent name.
    pub fn from_name(name: &str) -> Option<Intent> {
        Intent::OPTIONS
            .into_iter()
            .chain([Intent::Fallback])
            .find(|intent| intent.name() == name)
    }

    /// The menu number of the option (1-4), `None` for the fallback.
    pub fn option(self) -> Option<u8> {
        match self {
            Intent::RevisarAtenciones => Some(1),
            Intent::ReiniciarServicios => Some(2),
            Intent::ContactarEjecutivo => Some(3),
            Intent::Salir => Some(4),
            Intent::Fallback => None,
        }
    }

    /// The intent of a menu number.
    pub fn from_option(option: u8) -> Option<Intent> {
        Intent::OPTIONS
            .get(usize::from(option).checked_sub(1)?)
            .copied()
    }

    /// The menu label shown to customers, e.g. `Reiniciar servicios`.
    pub fn label(self) -> &'static str {
        match self {
            Intent::RevisarAtenciones => "Revisar atenciones anteriores",
            Intent::ReiniciarServicios => "Reiniciar servicios",
            Intent::ContactarEjecutivo => "Contactar a un ejecutivo",
            Intent::Salir => "Salir",
            Intent::Fallback => "Ninguna opción",
        }
    }
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the conversation should do with a classified message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Confident: go to this option.
    Intent(Intent),
    /// The two best options are close: ask the customer which one they meant.
    Clarify(Intent, Intent),
    /// Not confident about any option: abstain (`nlu_fallback`).
    Fallback,
}

impl Decision {
    /// Whether the decision is `intent`, or a clarification that offers it.
    fn offers(self, intent: Intent) -> bool {
        match self {
            Decision::Intent(i) => i == intent,
            Decision::Clarify(a, b) => a == intent || b == intent,
            Decision::Fallback => false,
        }
    }

    /// Whether the decision asks whether the message meant `a` or `b` (in either order).
    fn asks_between(self, a: Intent, b: Intent) -> bool {
        self == Decision::Clarify(a, b) || self == Decision::Clarify(b, a)
    }
}

/// A rule after the model that can change its decision (see
/// `YamlClassifier::classify_with`): what made a prediction, when not the model itself.
/// `reclamos eval` counts how often each one decides and how often it is right, and the
/// intents file's `rule_confidence` gives each one's decisions their confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// A message the model placed nowhere, or read as a goodbye it does not take, that
    /// reports a matter only a person handles is a complaint with that topic
    /// (`matter_unplaced`).
    MatterUnplaced,
    /// A message the model placed nowhere that reports a failure of the service is an
    /// outage (`outage_unplaced`).
    OutageUnplaced,
    /// A restart-or-executive question about a reported failure that asks for nobody is
    /// the restart (`outage_answers`).
    OutageAnswers,
    /// An executive with no topic for a reported failure that asks for nobody is the
    /// restart (`outage_over_contact`).
    OutageOverContact,
    /// A restart that cannot help with the matter reported is a complaint with that topic
    /// (`matter_beyond_restart`).
    MatterBeyondRestart,
    /// A how-to question about the equipment read as a restart is out of scope (`how_to`).
    HowTo,
    /// A failure of another business's service read as a restart is out of scope
    /// (`elsewhere_outage`).
    ElsewhereOutage,
    /// A restart or a call turned down, with no failure told, read as a restart is out of
    /// scope (`restart_declined`).
    RestartDeclined,
    /// A message that ends by taking leave and asks for nothing is a goodbye (`farewell`).
    Farewell,
    /// A goodbye the model read after a restart asked in so many words is the restart
    /// (`restart_before_goodbye`).
    RestartBeforeGoodbye,
    /// A chat with a person that was cut asks for the person again (`person_again`).
    PersonAgain,
    /// A message the model placed nowhere, or read as a restart, that asks to be called,
    /// or for a person in so many words, asks for a person (`call_back`).
    CallBack,
    /// A new complaint filed in so many words, read as the earlier requests, is a
    /// complaint (`new_complaint`).
    NewComplaint,
    /// A complaint about another business is out of scope (`other_business`).
    OtherBusiness,
    /// Frustration with the bot or the chat asks for a person (`bot_condemned`).
    BotCondemned,
    /// A question about how an earlier request stands is the earlier requests
    /// (`about_earlier`).
    AboutEarlier,
    /// An advertisement or a scam pasted into the chat is out of scope (`spam`).
    Spam,
    /// Small talk (a season's greeting, a question about the bot, the weather) is out of
    /// scope (`small_talk`).
    SmallTalk,
    /// A wish for a person the model alone read, not surely, in a message that names
    /// nothing of the company's is out of scope (`unrelated`).
    Unrelated,
}

impl Rule {
    /// Every rule, in the order the classifier applies them.
    pub const ALL: [Rule; 19] = [
        Rule::MatterUnplaced,
        Rule::OutageUnplaced,
        Rule::OutageAnswers,
        Rule::OutageOverContact,
        Rule::MatterBeyondRestart,
        Rule::HowTo,
        Rule::ElsewhereOutage,
        Rule::RestartDeclined,
        Rule::Farewell,
        Rule::RestartBeforeGoodbye,
        Rule::PersonAgain,
        Rule::CallBack,
        Rule::NewComplaint,
        Rule::OtherBusiness,
        Rule::BotCondemned,
        Rule::AboutEarlier,
        Rule::Spam,
        Rule::SmallTalk,
        Rule::Unrelated,
    ];

    /// The rule's name in intents files and reports (`matter_unplaced`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Rule::MatterUnplaced => "matter_unplaced",
            Rule::OutageUnplaced => "outage_unplaced",
            Rule::OutageAnswers => "outage_answers",
            Rule::OutageOverContact => "outage_over_contact",
            Rule::MatterBeyondRestart => "matter_beyond_restart",
            Rule::HowTo => "how_to",
            Rule::ElsewhereOutage => "elsewhere_outage",
            Rule::RestartDeclined => "restart_declined",
            Rule::Farewell => "farewell",
            Rule::RestartBeforeGoodbye => "restart_before_goodbye",
            Rule::PersonAgain => "person_again",
            Rule::CallBack => "call_back",
            Rule::NewComplaint => "new_complaint",
            Rule::OtherBusiness => "other_business",
            Rule::BotCondemned => "bot_condemned",
            Rule::AboutEarlier => "about_earlier",
            Rule::Spam => "spam",
            Rule::SmallTalk => "small_talk",
            Rule::Unrelated => "unrelated",
        }
    }

    /// Parses a rule's name.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|rule| rule.name() == name)
    }

    /// The rule's place in [`Rule::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A classifier's answer for one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The best intent (`Fallback` when the classifier abstains).
    pub intent: Intent,
    /// Confidence of `intent`, in `0.0..=1.0`.
    pub confidence: f32,
    /// Every menu intent with its score, best first.
    pub ranking: Vec<(Intent, f32)>,
    /// What the conversation should do.
    pub decision: Decision,
    /// The complaint's topic when the message asks for an executive about a named
    /// problem ("me cobraron dos veces" -> [`Topic::CobroDuplicado`]); `None` otherwise.
    pub topic: Option<Topic>,
    /// The rule after the model that made the decision; `None` when the model (or the
    /// menu) made it.
    pub rule: Option<Rule>,
}

impl Prediction {
    /// Nothing understood: the fallback, with no ranking.
    pub(crate) fn not_understood() -> Prediction {
        Prediction {
            intent: Intent::Fallback,
            confidence: 0.0,
            ranking: Vec::new(),
            decision: Decision::Fallback,
            topic: None,
            rule: None,
        }
    }

    /// What the menu does with `text` before any classifier: a menu number ("2", "la
    /// dos", "opción cuatro") is that option, with full confidence; a number that is no
    /// option ("5", "la quinta") gets the menu again, which is an abstention; `None` for
    /// anything else.
    pub fn menu_choice(text: &str) -> Option<Prediction> {
        let Some(intent) = Intent::from_option(menu_number(text)?) else {
            return Some(Prediction::not_understood());
        };
        Some(Prediction {
            intent,
            confidence: 1.0,
            ranking: vec![(intent, 1.0)],
            decision: Decision::Intent(intent),
            topic: None,
            rule: None,
        })
    }

    /// A complaint that asks how an earlier request stands ("puse un reclamo por un cobro
    /// que no reconozco, ¿en qué está?") is `revisar_atenciones`: its complaint words
    /// outweighed the question. So is such a message the model placed nowhere ("les escribí
    /// el lunes, ¿hay alguna respuesta?"), and a clarification between the earlier request
    /// and something else ("hice una gestión y no me llegó ningún correo, ¿quedó
    /// registrada?").
    /// So is a question the model read as a goodbye ("pidieron retirar el deco, ¿eso ya
    /// está listo?": "listo" also takes leave), or as a restart when it names the request
    /// ("¿hay respuesta al reclamo que dejé por la caída?"), and any clarification of the
    /// model's when it names the request ("agradeceré informar si la reclamación presentada
    /// el día 12 fue acogida. Atentamente, ..." between a restart and a goodbye); not a
    /// decision a rule made.
    /// `asks` tells whether the message asks how an earlier request stands (read only when
    /// the decision may be one of these); `question`, whether it has a question mark;
    /// `names_request`, whether it calls something a request ("reclamo", "solicitud"...).
    pub(crate) fn about_earlier_if(
        self,
        asks: impl FnOnce() -> bool,
        question: bool,
        names_request: impl FnOnce() -> bool,
    ) -> Prediction {
        let (contact, review) = (Intent::ContactarEjecutivo, Intent::RevisarAtenciones);
        let models_question = question && self.rule.is_none();
        // An executive, placed nowhere, asked whether it meant the earlier request or
        // something else, or the model's goodbye or restart to a question.
        let misread = self.decision == Decision::Intent(contact)
            || self.decision == Decision::Fallback
            || matches!(self.decision, Decision::Clarify(..)) && self.decision.offers(review)
            || models_question && self.decision == Decision::Intent(Intent::Salir)
            || (models_question && self.decision == Decision::Intent(Intent::ReiniciarServicios)
                || matches!(self.decision, Decision::Clarify(..)) && self.rule.is_none())
                && names_request();
        if misread && asks() {
            return self.decided(review, Rule::AboutEarlier);
        }
        self
    }

    /// An advertisement or a scam pasted into the chat ("GANASTE UN PREMIO!!! ingresa a
    /// este link") is out of scope: the fallback, whatever the model read in its words.
    /// The rule is named even when the model already abstained, so that nothing after
    /// it (the zero-shot hybrid) reads the message again.
    pub(crate) fn spam_if(self, spam: impl FnOnce() -> bool) -> Prediction {
        self.out_of_scope_if(spam, Rule::Spam)
    }

    /// Small talk (a season's greeting alone, a question about the bot alone, "¿eres un
    /// bot?", the weather: "¿va a llover mañana en Temuco?", "qué frío hace hoy") is out
    /// of scope: the fallback, whatever the model read (a question reads
    /// as one for a person). Named even when the model already abstained, as
    /// [`spam_if`](Self::spam_if) is.
    pub(crate) fn small_talk_if(self, small_talk: impl FnOnce() -> bool) -> Prediction {
        self.out_of_scope_if(small_talk, Rule::SmallTalk)
    }

    /// A wish for a person that only the model read, below [`UNRELATED_BELOW`], in a
    /// message that names nothing of the company's (`unrelated`: no service, failure,
    /// complaint topic, request, person, bill, contract, visit, menu...) is out of scope:
    /// life told in words the training file lacks ("la cosecha de cerezas viene buenaza",
    /// "mi vecino me tiene chato con la música fuerte") reads as a story of a complaint.
    pub(crate) fn unrelated_if(self, unrelated: impl FnOnce() -> bool) -> Prediction {
        if self.intent == Intent::ContactarEjecutivo
            && self.rule.is_none()
            && self.decision != Decision::Fallback
            && self.confidence < UNRELATED_BELOW
            && unrelated()
        {
            return self.abstained(Rule::Unrelated);
        }
        self
    }

    /// The fallback by `rule` when `out` says the message is out of scope, whatever the
    /// model read, and named even when the model already abstained.
    fn out_of_scope_if(self, out: impl FnOnce() -> bool, rule: Rule) -> Prediction {
        if out() {
            return self.abstained(rule);
        }
        self
    }

    /// The prediction turned into an abstention by `rule`.
    fn abstained(self, rule: Rule) -> Prediction {
        self.decided(Intent::Fallback, rule)
    }

    /// The prediction with its decision turned into `intent` (an option, or the fallback)
    /// by `rule`.
    fn decided(mut self, intent: Intent, rule: Rule) -> Prediction {
        self.intent = intent;
        self.decision = match intent {
            Intent::Fallback => Decision::Fallback,
            option => Decision::Intent(option),
        };
        self.rule = Some(rule);
        self
    }

    /// The prediction with the confidence `settings` give the rule that made it (see
    /// [`RuleConfidence`]); unchanged when the model made it or the rule has none.
    pub(crate) fn calibrated(mut self, settings: &Thresholds) -> Prediction {
        if let Some(fitted) = self
            .rule
            .and_then(|rule| settings.rule_confidence.get(rule))
        {
            // A goodbye keeps the model's own `salir` score when that is lower: closing
            // cannot be undone, and the conversation asks first below its threshold.
            self.confidence = match self.rule {
                Some(Rule::Farewell) => self.confidence.min(fitted),
                _ => fitted,
            };
        }
        self
    }

    /// A message the classifier placed nowhere that names a matter only a person handles
    /// ("me robaron el celular", "se me olvidó la clave del wifi") is a complaint:
    /// `contactar_ejecutivo` with that topic. So is one read as a goodbye that takes no
    /// leave (`leaves`: "me asaltaron saliendo del metro, necesito bloquear el chip").
    pub(crate) fn matter_if_unplaced(
        self,
        matter: impl FnOnce() -> Option<Topic>,
        leaves: impl FnOnce() -> bool,
    ) -> Prediction {
        let unplaced = self.decision == Decision::Fallback
            || self.decision == Decision::Intent(Intent::Salir) && !leaves();
        self.matter_if(unplaced, matter, Rule::MatterUnplaced)
    }

    /// A message the classifier placed nowhere that reports a failure of the service
    /// ("los celulares no se conectan al wifi") is an outage: `reiniciar_servicios`.
    pub(crate) fn outage_if_unplaced(self, outage: impl FnOnce() -> bool) -> Prediction {
        if self.decision == Decision::Fallback && outage() {
            return self.decided(Intent::ReiniciarServicios, Rule::OutageUnplaced);
        }
        self
    }

    /// A new complaint filed in so many words ("quiero ingresar un reclamo, la atención que
    /// me dieron fue pésima"), or a question about one that turns to a person ("quiero
    /// saber cómo va mi reclamo, pero prefiero que me lo explique una persona"), read as
    /// the earlier requests, asked about them or placed nowhere ("vengo a poner una queja
    /// por cómo me trataron en la sucursal": a branch named), is `contactar_ejecutivo` (a
    /// question about an earlier request still turns it back:
    /// [`about_earlier_if`](Self::about_earlier_if), a complaint about another business
    /// is still out of scope: [`other_business_if`](Self::other_business_if)).
    pub(crate) fn new_complaint_if(self, files: impl FnOnce() -> bool) -> Prediction {
        let read =
            self.decision.offers(Intent::RevisarAtenciones) || self.decision == Decision::Fallback;
        if read && files() {
            return self.decided(Intent::ContactarEjecutivo, Rule::NewComplaint);
        }
        self
    }

    /// A complaint about another business that names nothing of the company's ("el delivery
    /// nunca llegó y me cobraron igual"), read as an executive or asked about one, is out of
    /// scope: the fallback.
    pub(crate) fn other_business_if(self, elsewhere: impl FnOnce() -> bool) -> Prediction {
        // An executive, or a question whether the message meant one ("tengo un reclamo con
        // el supermercado": an executive or the earlier requests?).
        let contact = self.decision.offers(Intent::ContactarEjecutivo);
        if contact && self.topic.is_none() && elsewhere() {
            return self.abstained(Rule::OtherBusiness);
        }
        self
    }

    /// A chat with a person that was cut ("estaba hablando con Ana y se cortó") asks for
    /// the person again: `contactar_ejecutivo`, whatever the model read.
    pub(crate) fn person_again_if(self, cut: impl FnOnce() -> bool) -> Prediction {
        self.person_if(cut, Rule::PersonAgain)
    }

    /// A message the model placed nowhere that asks to be called ("mi abuelito quiere que
    /// lo llamen por teléfono, no sabe escribir bien"), or for a person in so many words
    /// ("ya no sé cómo decirlo: necesito una persona"), asks for a person:
    /// `contactar_ejecutivo`. So does one the model alone read as a restart, or asked
    /// about one ("llámenme al celular en la tarde, ahora voy manejando": the phone is
    /// where to call, not what failed), unless it asks for the restart in so many words
    /// (`restart_asked`: "quiero hablar con una persona... no, mejor reinicien el deco").
    pub(crate) fn call_back_if(
        self,
        asks: impl FnOnce() -> bool,
        restart_asked: impl FnOnce() -> bool,
    ) -> Prediction {
        let unplaced = self.decision == Decision::Fallback;
        let restart_read = self.rule.is_none() && self.decision.offers(Intent::ReiniciarServicios);
        if (unplaced || restart_read) && asks() && (unplaced || !restart_asked()) {
            return self.decided(Intent::ContactarEjecutivo, Rule::CallBack);
        }
        self
    }

    /// `contactar_ejecutivo` by `rule`, whatever the model read, when `asks` (not asked
    /// when the model already said so).
    fn person_if(self, asks: impl FnOnce() -> bool, rule: Rule) -> Prediction {
        let contact = Intent::ContactarEjecutivo;
        if self.decision != Decision::Intent(contact) && asks() {
            return self.decided(contact, rule);
        }
        self
    }

    /// A clarification between a restart and an executive, for a message that reports a
    /// failure of the service and asks for no person ("desde temprano no tengo internet,
    /// quedo atenta"), is the restart: an outage, as the guide says (a matter a restart
    /// cannot mend answers it the other way: [`matter_beyond_restart`], which runs after).
    ///
    /// [`matter_beyond_restart`]: Self::matter_beyond_restart
    pub(crate) fn outage_answers_if(self, outage: impl FnOnce() -> bool) -> Prediction {
        let (restart, contact) = (Intent::ReiniciarServicios, Intent::ContactarEjecutivo);
        if self.decision.asks_between(restart, contact) && outage() {
            return self.decided(restart, Rule::OutageAnswers);
        }
        self
    }

    /// A message the model sends to an executive with no topic, that reports a failure of
    /// the service, asks for no person, no demand and no earlier request, and reports no
    /// matter only a person handles ("el fijo hace ruido y no se escucha nada", "anoche se
    /// cortó la tele y sigue igual"; not "otro mes pagando un internet que no funciona
    /// nunca", which condemns the service) is an outage:
    /// `reiniciar_servicios`, as the guide says (a matter a restart cannot mend turns it
    /// back: [`matter_beyond_restart`], which runs after).
    ///
    /// [`matter_beyond_restart`]: Self::matter_beyond_restart
    pub(crate) fn outage_over_contact_if(self, outage: impl FnOnce() -> bool) -> Prediction {
        let contact = Decision::Intent(Intent::ContactarEjecutivo);
        if self.decision == contact && self.topic.is_none() && outage() {
            return self.decided(Intent::ReiniciarServicios, Rule::OutageOverContact);
        }
        self
    }

    /// A restart that cannot help with the matter the message reports (a lost or stolen
    /// phone, a technician's visit, a failure that has lasted days: "me robaron el celu,
    /// bloqueen la línea") is a complaint: `contactar_ejecutivo` with that topic. So is a
    /// clarification between a restart and an executive: the matter answers it ("después
    /// de la visita del técnico quedé peor").
    pub(crate) fn matter_beyond_restart(
        self,
        matter: impl FnOnce() -> Option<Topic>,
    ) -> Prediction {
        let (restart, contact) = (Intent::ReiniciarServicios, Intent::ContactarEjecutivo);
        let restart_read = self.decision == Decision::Intent(restart)
            || self.decision.asks_between(restart, contact);
        self.matter_if(restart_read, matter, Rule::MatterBeyondRestart)
    }

    /// A message that ends by taking leave and asks for nothing ("lo reviso con mi señora
    /// y les aviso, chao", "Todo resuelto, muchas gracias. Buenas noches.") is a goodbye:
    /// `salir`, whatever the model read in what came before. Its confidence is the model's
    /// for `salir`, not for what the model read: closing cannot be undone, and the
    /// conversation asks first below its threshold.
    pub(crate) fn farewell_if(self, leaves: impl FnOnce() -> bool) -> Prediction {
        if self.decision != Decision::Intent(Intent::Salir) && leaves() {
            let salir = self
                .ranking
                .iter()
                .find(|(intent, _)| *intent == Intent::Salir)
                .map_or(0.0, |(_, score)| *score);
            let mut goodbye = self.decided(Intent::Salir, Rule::Farewell);
            goodbye.confidence = salir;
            return goodbye;
        }
        self
    }

    /// A message the model alone read as a goodbye, or asked about one, that asks for a
    /// restart in so many words before taking leave and does not take it back
    /// (`restart_asked`: "¿me reinician el deco porfa? gracias, chao"; not "¿me reinician
    /// el módem? ah no, ya volvió, gracias") is the restart: `reiniciar_servicios` (the
    /// guide: a request before the goodbye wins). (A restart asked is never a goodbye
    /// alone: [`farewell_if`](Self::farewell_if)'s reader takes any restart named, not
    /// thanked for or told done, as asking.)
    pub(crate) fn restart_before_goodbye_if(
        self,
        restart_asked: impl FnOnce() -> bool,
    ) -> Prediction {
        let goodbye_read = self.rule.is_none() && self.decision.offers(Intent::Salir);
        if goodbye_read && restart_asked() {
            return self.decided(Intent::ReiniciarServicios, Rule::RestartBeforeGoodbye);
        }
        self
    }

    /// A message that condemns the bot or the chat ("bot inútil", "esta wea de chat no
    /// funciona") asks for a person: `contactar_ejecutivo`, whatever the model read (a
    /// failure of the chat is no outage, an insult to the bot no chit-chat).
    pub(crate) fn bot_condemned_if(self, condemned: impl FnOnce() -> bool) -> Prediction {
        self.person_if(condemned, Rule::BotCondemned)
    }

    /// A question about how to do something with the equipment ("¿cómo conecto la
    /// impresora al wifi?") that the model read as a restart, or asked about one, is out of
    /// scope: the fallback (the guide's policy for equipment how-to questions). So is one
    /// the model alone read as a wish for a person ("¿puedo cambiar yo mismo el nombre de
    /// la red?"), unless `for_a_person` (a complaint topic, a person, a call).
    pub(crate) fn how_to_if(
        self,
        how_to: impl FnOnce() -> bool,
        for_a_person: impl FnOnce() -> bool,
    ) -> Prediction {
        let read = self.decision.offers(Intent::ReiniciarServicios)
            || self.decision == Decision::Intent(Intent::ContactarEjecutivo) && self.rule.is_none();
        if read
            && how_to()
            && !(self.decision == Decision::Intent(Intent::ContactarEjecutivo) && for_a_person())
        {
            return self.abstained(Rule::HowTo);
        }
        self
    }

    /// A failure of another business's service that the model read as a restart, or asked
    /// about one ("el wifi del hostal no anda", "se cae la app del banco"), or one told with
    /// the service said to work ("mi pc tiene lag pero el internet anda bien"), is out of
    /// scope: the fallback (a restart of the service mends nothing).
    pub(crate) fn elsewhere_outage_if(self, elsewhere: impl FnOnce() -> bool) -> Prediction {
        if self.decision.offers(Intent::ReiniciarServicios) && elsewhere() {
            return self.abstained(Rule::ElsewhereOutage);
        }
        self
    }

    /// A restart turned down ("no reinicien nada todavía, mi hijo está jugando en línea",
    /// "no me vayan a reiniciar el deco ahora que está grabando") that the model read as a
    /// restart, or asked about one, with no failure told and no restart asked elsewhere, is
    /// out of scope: the fallback (the words left after the refusal name only a service).
    /// So is one the model alone sends to an executive, when it names no person (in any
    /// words), topic or call (`for_a_person`: "no me reinicien nada, estoy
    /// subiendo un video"; not "no reseteen el router, lo único que necesito es que alguien
    /// revise mi boleta"). So is a call turned down alone ("no quiero que me llamen, ni se
    /// les ocurra": `entities::declines_a_call`).
    pub(crate) fn restart_declined_if(
        self,
        declined: impl FnOnce() -> bool,
        for_a_person: impl FnOnce() -> bool,
    ) -> Prediction {
        let contact =
            self.decision == Decision::Intent(Intent::ContactarEjecutivo) && self.rule.is_none();
        let read = self.decision.offers(Intent::ReiniciarServicios) || contact;
        if read && declined() && (!contact || !for_a_person()) {
            return self.abstained(Rule::RestartDeclined);
        }
        self
    }

    /// `contactar_ejecutivo` by `rule` with the topic `matter` finds, when `read` and it
    /// finds one.
    fn matter_if(
        self,
        read: bool,
        matter: impl FnOnce() -> Option<Topic>,
        rule: Rule,
    ) -> Prediction {
        if read {
            if let Some(topic) = matter() {
                let mut complaint = self.decided(Intent::ContactarEjecutivo, rule);
                complaint.topic = Some(topic);
                return complaint;
            }
        }
        self
    }

    /// Sets `topic` from `text` when the decision involves `contactar_ejecutivo` (an
    /// executive, or a clarification offering one), unless a rule already set it; clears
    /// it otherwise.
    pub fn with_topic(self, text: &str) -> Prediction {
        self.with_topic_if(|| entities::complaint_topic(text))
    }

    /// [`with_topic`](Self::with_topic), where `topic` finds the text's topic.
    pub(crate) fn with_topic_if(mut self, topic: impl FnOnce() -> Option<Topic>) -> Prediction {
        let offers_contact = self.decision.offers(Intent::ContactarEjecutivo);
        // A topic a rule found stays (the failure lasting days of a restart the rule turned
        // into a complaint may be worded as the topic patterns do not say it).
        self.topic = if offers_contact {
            self.topic.or_else(topic)
        } else {
            None
        };
        self
    }
}

/// Maps a free-text message onto the menu. Implementations are cheap to call concurrently.
pub trait Classifier: Send + Sync {
    /// Classifies one message.
    fn classify(&self, text: &str) -> Prediction;
}

/// Builds the default classifier from a YAML intents file, or from the embedded
/// `intents/es.yaml` when `path` is `None`.
///
/// The embedded classifier is trained once per process and shared (training takes
/// about 0.1 s in release builds, more in debug builds and tests).
pub fn load_classifier(path: Option<&Path>) -> anyhow::Result<Arc<dyn Classifier>> {
    if path.is_none() {
        if let Some(classifier) = embedded_if_trained() {
            return Ok(classifier);
        }
    }
    let data = load_training_data(path)?;
    Ok(train(&data, path))
}

/// The embedded classifier, once trained.
static EMBEDDED: OnceLock<Arc<YamlClassifier>> = OnceLock::new();

/// The embedded classifier if this process already trained it (nothing to parse again).
pub(crate) fn embedded_if_trained() -> Option<Arc<dyn Classifier>> {
    EMBEDDED
        .get()
        .map(|classifier| Arc::clone(classifier) as Arc<dyn Classifier>)
}

/// Trains the YAML classifier on `data`, parsed from `path` (`None`: the embedded file,
/// whose classifier is trained once per process).
pub fn train(data: &TrainingData, path: Option<&Path>) -> Arc<dyn Classifier> {
    match path {
        None => EMBEDDED
            .get_or_init(|| Arc::new(YamlClassifier::new(data)))
            .clone(),
        Some(_) => Arc::new(YamlClassifier::new(data)),
    }
}

/// Parses a YAML intents file, or the embedded `intents/es.yaml` when `path` is `None`.
/// Errors name the file and, where possible, the line.
pub fn load_training_data(path: Option<&Path>) -> Result<TrainingData, IntentsError> {
    match path {
        Some(path) => data::load(path),
        None => data::parse(data::EMBEDDED_INTENTS, data::EMBEDDED_NAME),
    }
}

/// Reads a yes/no answer ("sí", "si po", "claro", "no", "nop"...). `None` when it is neither.
pub fn yes_no(text: &str) -> Option<bool> {
    entities::yes_no(text)
}

/// The matter only a person handles that the message reports by itself (a topic that
/// stands alone, the service condemned in so many words, or a failure of the service that
/// has lasted days or comes back), unless it asks for
/// information or turns a wish down: what the classifier reads as a complaint when its
/// model places the message nowhere.
pub fn reported_matter(message: &str) -> Option<Topic> {
    entities::reported_matter(message, &text::normalize(message))
}

/// Whether the message turns something down ("no", "no quiero hablar con un ejecutivo").
pub fn declines(text: &str) -> bool {
    entities::declines(text)
}

/// Finds a request number written in the text ("¿cómo va la solicitud 124578?").
pub fn request_number(text: &str) -> Option<u64> {
    entities::request_number(text)
}

/// Picks a request by its description ("la del wifi") among `subjects` (by ordinal too
/// when the customer was shown them, `listed`); the index of the best match, or `None`
/// when nothing matches clearly.
pub fn pick_by_description(text: &str, subjects: &[&str], listed: bool) -> Option<usize> {
    entities::pick_by_description(text, subjects, listed)
}

/// A request the text asks about by its subject ("¿cómo va lo de la tele?"), without
/// ordinals; `None` when it asks about the requests in general or nothing matches clearly.
pub fn pick_by_subject(text: &str, subjects: &[&str]) -> Option<usize> {
    entities::pick_by_subject(text, subjects)
}

/// Whether the message names a person to talk to and does not turn one down.
pub fn names_a_person(text: &str) -> bool {
    entities::names_a_person(text)
}

/// Whether the message asks for something new or again ("una nueva clave", "otra vez").
pub fn asks_for_new(text: &str) -> bool {
    entities::asks_for_new(text)
}

/// The topic of a complaint named in the text (see [`Topic`]), whatever the intent.
pub fn complaint_topic(text: &str) -> Option<Topic> {
    entities::complaint_topic(text)
}

/// Whether a customer waiting for an executive asks to stop waiting ("cancelar",
/// "mejor no", "volver al menú", "salir").
pub fn is_cancel(text: &str) -> bool {
    entities::is_cancel(text)
}
