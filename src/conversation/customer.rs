//! The customer's conversation with the bot: login by RUT, the menu, the request list, the
//! queue for an executive and the live chat, as a state machine.

use std::borrow::Cow;

use super::events::{CustomerEvent, Routed};
use super::{Context, Effect, Effects, HubOp, HubResult, Input, StoreFailed, StoreOp, StoreResult};
use crate::nlu::review;
use crate::nlu::{self, Decision, Intent, Prediction};
use crate::protocol::{self, customer as say, history, BOT_NAME};
use crate::registry::{Customer, InboxMessage, InboxOutcome, Request, RequestId, RequestState};
use crate::rut::Rut;
use crate::text::sanitize;

/// How the server should time out an idle customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// Has not logged in yet.
    Login,
    /// Talking to the bot or an executive.
    Active,
    /// Waiting in the executives' queue: never timed out.
    Waiting,
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    AwaitRut,
    AwaitName {
        rut: Rut,
    },
    Menu,
    Choosing {
        requests: Vec<(RequestId, String)>,
    },
    AwaitSerial {
        request: RequestId,
        answer: String,
    },
    Clarify {
        first: Intent,
        second: Intent,
    },
    Queued {
        request: RequestId,
        told_backlog: bool,
    },
    Chatting {
        request: RequestId,
        agent: String,
    },
    /// Waiting for the result of a store or hub operation.
    Pending(Pending),
    Closed,
}

/// What a pending conversation waits for, and what it needs to go on.
#[derive(Debug, Clone, PartialEq)]
enum Pending {
    /// [`StoreOp::FindCustomer`] for a RUT typed at login.
    FindCustomer { rut: Rut },
    /// [`StoreOp::RegisterCustomer`].
    Register { rut: Rut },
    /// [`HubOp::Login`] for a customer found in the store.
    Login { customer: Customer },
    /// [`StoreOp::RequestsOf`] for option 1.
    ListRequests,
    /// [`StoreOp::Request`] for one request.
    ShowRequest { id: RequestId },
    /// [`StoreOp::CreateRequest`] for option 2.
    Restart,
    /// [`StoreOp::CreateRequest`] for option 3.
    Contact,
    /// [`HubOp::Enqueue`].
    Enqueue { request: RequestId },
    /// [`HubOp::LeaveQueue`].
    LeaveQueue {
        request: RequestId,
        told_backlog: bool,
    },
    /// [`HubOp::CustomerSays`] from the queue.
    QueuedSays {
        request: RequestId,
        told_backlog: bool,
    },
    /// [`HubOp::CustomerSays`] in a chat.
    ChatSays { request: RequestId, agent: String },
    /// [`HubOp::CustomerEndsChat`].
    EndChat { request: RequestId, agent: String },
}

/// What the conversation knows about its customer across phases.
#[derive(Debug, Clone, Default, PartialEq)]
struct Session {
    customer: Option<Customer>,
    login_attempts: u32,
    serial_attempts: u32,
    verified: bool,
    /// The free-text message the bot just acted on, kept for the inbox if the customer's
    /// next line corrects it ("no, quise decir ..."); cleared by any other line.
    acted_on: Option<InboxMessage>,
}

/// One customer's conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerConversation {
    phase: Phase,
    session: Session,
}

impl Default for CustomerConversation {
    fn default() -> Self {
        CustomerConversation::new()
    }
}

impl CustomerConversation {
    /// A new conversation, waiting for the RUT (the greeting is
    /// [`protocol::customer::GREETING`]).
    pub fn new() -> CustomerConversation {
        CustomerConversation {
            phase: Phase::AwaitRut,
            session: Session::default(),
        }
    }

    /// The logged-in customer, if any.
    pub fn customer(&self) -> Option<&Customer> {
        self.session.customer.as_ref()
    }

    /// How the server should time out this conversation now.
    pub fn idle(&self) -> Idle {
        match &self.phase {
            Phase::AwaitRut
            | Phase::AwaitName { .. }
            | Phase::Pending(
                Pending::FindCustomer { .. } | Pending::Register { .. } | Pending::Login { .. },
            ) => Idle::Login,
            Phase::Queued { .. }
            | Phase::Pending(
                Pending::Enqueue { .. } | Pending::LeaveQueue { .. } | Pending::QueuedSays { .. },
            ) => Idle::Waiting,
            _ => Idle::Active,
        }
    }

    /// Whether the conversation has ended.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Whether the conversation waits for a store or hub result.
    pub fn is_pending(&self) -> bool {
        matches!(self.phase, Phase::Pending(_))
    }

    /// Whether handling `line` now would use the classifier's prediction (free text at the
    /// menu, in a clarification, or in the request list when nothing else matched). The
    /// driver then classifies `line.trim()` and passes the prediction with the line.
    pub fn wants_classification(&self, line: &str) -> bool {
        let text = line.trim();
        match &self.phase {
            Phase::Menu => !text.is_empty() && menu_number(text).is_none(),
            Phase::Clarify { .. } => {
                !text.is_empty() && menu_number(text).is_none() && nlu::yes_no(text).is_none()
            }
            Phase::Choosing { requests } => resolve_choice(requests, text) == Choice::Classify,
            _ => false,
        }
    }

    /// Handles one input; pushes the effects to carry out in `out` and returns the next
    /// state.
    pub fn step(
        self,
        input: Input<'_, CustomerEvent>,
        ctx: &Context,
        out: &mut Effects,
    ) -> CustomerConversation {
        let CustomerConversation { phase, mut session } = self;
        let closing = !matches!(input, Input::Disconnected);
        let phase = match input {
            Input::Line { text, prediction } => {
                session.on_line(phase, text.trim(), prediction.as_ref(), ctx, out)
            }
            Input::Event(event) => session.on_event(phase, event, out),
            Input::Stored(result) => match phase {
                Phase::Pending(pending) => session.on_stored(pending, result, ctx, out),
                phase => unexpected(phase, "store result"),
            },
            Input::Hub(result) => match phase {
                Phase::Pending(pending) => session.on_hub(pending, result, ctx, out),
                phase => unexpected(phase, "hub result"),
            },
            Input::Disconnected => session.disconnected(phase, out),
        };
        if closing && phase == Phase::Closed {
            out.push(Effect::Close);
        }
        CustomerConversation { phase, session }
    }
}

/// An input the phase cannot take (the driver feeds results only to pending states): it is
/// dropped.
fn unexpected(phase: Phase, what: &str) -> Phase {
    tracing::warn!(?phase, what, "input not expected in this phase");
    phase
}

impl Session {
    fn on_line(
        &mut self,
        phase: Phase,
        text: &str,
        prediction: Option<&Prediction>,
        ctx: &Context,
        out: &mut Effects,
    ) -> Phase {
        if let Some(message) = self.acted_on.take() {
            if review::is_correction(text) {
                out.record(StoreOp::KeepInboxMessage(message));
            }
        }
        match phase {
            Phase::AwaitRut => self.on_rut(text, ctx, out),
            Phase::AwaitName { rut } => self.on_name(rut, text, out),
            Phase::Menu => self.on_menu(text, prediction, out),
            Phase::Choosing { requests } => self.on_choice(requests, text, prediction, out),
            Phase::AwaitSerial { request, answer } => {
                self.on_serial(request, answer, text, ctx, out)
            }
            Phase::Clarify { first, second } => {
                self.on_clarify(first, second, text, prediction, out)
            }
            Phase::Queued {
                request,
                told_backlog,
            } => self.on_queued(request, told_backlog, text, out),
            Phase::Chatting { request, agent } => self.on_chat(request, agent, text, out),
            phase @ Phase::Pending(_) => unexpected(phase, "line"),
            Phase::Closed => {
                out.push(Effect::Close);
                Phase::Closed
            }
        }
    }

    // --- login ---------------------------------------------------------------------------

    fn on_rut(&mut self, text: &str, ctx: &Context, out: &mut Effects) -> Phase {
        if text.is_empty() {
            out.send(say::RUT_HINT);
            return Phase::AwaitRut;
        }
        if wants_out(text) {
            return goodbye(out);
        }
        match text.parse::<Rut>() {
            Ok(rut) => find_customer(rut, out),
            Err(err) => {
                out.send(say::invalid_rut(err));
                self.failed_attempt(Phase::AwaitRut, ctx, out)
            }
        }
    }

    /// Counts an invalid or unknown RUT: `next`, or closed after too many.
    fn failed_attempt(&mut self, next: Phase, ctx: &Context, out: &mut Effects) -> Phase {
        self.login_attempts += 1;
        if self.login_attempts >= ctx.policy.max_login_attempts {
            out.send(say::TOO_MANY_ATTEMPTS);
            return Phase::Closed;
        }
        next
    }

    fn on_found(
        &mut self,
        rut: Rut,
        found: Result<Option<Customer>, StoreFailed>,
        ctx: &Context,
        out: &mut Effects,
    ) -> Phase {
        match found {
            Err(StoreFailed) => {
                out.send(say::APOLOGY);
                Phase::AwaitRut
            }
            Ok(None) => {
                out.send(say::not_registered(rut));
                self.failed_attempt(Phase::AwaitName { rut }, ctx, out)
            }
            Ok(Some(customer)) => {
                out.hub(HubOp::Login(customer.rut));
                Phase::Pending(Pending::Login { customer })
            }
        }
    }

    fn on_login(
        &mut self,
        customer: Customer,
        result: Result<(), super::events::HubError>,
        ctx: &Context,
        out: &mut Effects,
    ) -> Phase {
        if result.is_err() {
            out.send(say::already_logged_in(customer.rut));
            return self.failed_attempt(Phase::AwaitRut, ctx, out);
        }
        out.console(protocol::console::customer_connected(&customer.name));
        out.send(say::hello(customer.first_name()));
        self.customer = Some(customer);
        show_menu(out);
        Phase::Menu
    }

    fn on_name(&mut self, rut: Rut, text: &str, out: &mut Effects) -> Phase {
        if let Ok(other) = text.parse::<Rut>() {
            return find_customer(other, out);
        }
        if wants_out(text) {
            return goodbye(out);
        }
        let Some(name) = valid_name(text) else {
            out.send(say::NAME_HINT);
            return Phase::AwaitName { rut };
        };
        out.store(StoreOp::RegisterCustomer { rut, name });
        Phase::Pending(Pending::Register { rut })
    }

    fn on_registered(
        &mut self,
        rut: Rut,
        registered: Result<Customer, StoreFailed>,
        out: &mut Effects,
    ) -> Phase {
        match registered {
            Ok(customer) => {
                out.send(say::registered(rut));
                out.hub(HubOp::Login(customer.rut));
                Phase::Pending(Pending::Login { customer })
            }
            Err(StoreFailed) => {
                out.send(say::APOLOGY);
                Phase::AwaitName { rut }
            }
        }
    }

    // --- the menu ------------------------------------------------------------------------

    fn on_menu(&mut self, text: &str, prediction: Option<&Prediction>, out: &mut Effects) -> Phase {
        if text.is_empty() {
            out.send(say::EMPTY_AT_MENU);
            return Phase::Menu;
        }
        if let Some(number) = menu_number(text) {
            return match Intent::from_option(number) {
                Some(intent) => self.choose(intent, out),
                None => {
                    out.send(say::no_such_option(number));
                    show_menu(out);
                    Phase::Menu
                }
            };
        }
        self.free_text(text, prediction, out)
    }

    /// Routes free text typed at the menu by the classifier's prediction.
    fn free_text(
        &mut self,
        text: &str,
        prediction: Option<&Prediction>,
        out: &mut Effects,
    ) -> Phase {
        let decision = decision(prediction);
        if let Some(number) = nlu::request_number(text) {
            let about_requests = matches!(
                decision,
                Decision::Intent(Intent::RevisarAtenciones)
                    | Decision::Fallback
                    | Decision::Clarify(..)
            );
            if about_requests {
                return self.show_request(number, out);
            }
        }
        match decision {
            Decision::Intent(intent) => {
                self.acted_on = inbox_message(text, prediction, InboxOutcome::Correction);
                self.choose(intent, out)
            }
            Decision::Clarify(first, second) => {
                keep_for_review(text, prediction, InboxOutcome::Clarify, out);
                out.send(say::clarify(
                    (first.option().unwrap_or(0), first.label()),
                    (second.option().unwrap_or(0), second.label()),
                ));
                Phase::Clarify { first, second }
            }
            // "no quiero hablar con un ejecutivo" was understood: it asks for none of
            // the options.
            Decision::Fallback if nlu::declines(text) => {
                out.send(say::DECLINED);
                show_menu(out);
                Phase::Menu
            }
            Decision::Fallback => {
                keep_for_review(text, prediction, InboxOutcome::Fallback, out);
                out.send(say::NOT_UNDERSTOOD);
                show_menu(out);
                Phase::Menu
            }
        }
    }

    fn on_clarify(
        &mut self,
        first: Intent,
        second: Intent,
        text: &str,
        prediction: Option<&Prediction>,
        out: &mut Effects,
    ) -> Phase {
        if menu_number(text).is_some() {
            return self.on_menu(text, prediction, out);
        }
        match nlu::yes_no(text) {
            Some(true) => self.choose(first, out),
            Some(false) => {
                out.send(say::DECLINED);
                show_menu(out);
                Phase::Menu
            }
            None if text.is_empty() => {
                out.send(say::yes_no(
                    first.option().unwrap_or(0),
                    second.option().unwrap_or(0),
                ));
                Phase::Clarify { first, second }
            }
            None => self.free_text(text, prediction, out),
        }
    }

    fn choose(&mut self, intent: Intent, out: &mut Effects) -> Phase {
        match intent {
            Intent::RevisarAtenciones => self.list_requests(out),
            Intent::ReiniciarServicios => self.restart_services(out),
            Intent::ContactarEjecutivo => self.contact_agent(out),
            Intent::Salir => goodbye(out),
            Intent::Fallback => menu(out),
        }
    }

    // --- option 1: earlier requests --------------------------------------------------------

    fn list_requests(&mut self, out: &mut Effects) -> Phase {
        let Some(customer) = &self.customer else {
            return Phase::Menu;
        };
        out.store(StoreOp::RequestsOf(customer.rut));
        Phase::Pending(Pending::ListRequests)
    }

    fn on_requests(
        &mut self,
        found: Result<Vec<Request>, StoreFailed>,
        out: &mut Effects,
    ) -> Phase {
        let requests = match found {
            Ok(requests) => requests,
            Err(StoreFailed) => {
                out.send(say::APOLOGY);
                return menu(out);
            }
        };
        if requests.is_empty() {
            out.send(say::NO_REQUESTS);
            return menu(out);
        }
        out.send(say::YOUR_REQUESTS);
        for (i, request) in requests.iter().enumerate() {
            out.send(say::request_item(i + 1, request.id, &request.subject));
        }
        out.send(say::WHICH_REQUEST);
        Phase::Choosing {
            requests: requests.into_iter().map(|r| (r.id, r.subject)).collect(),
        }
    }

    fn on_choice(
        &mut self,
        requests: Vec<(RequestId, String)>,
        text: &str,
        prediction: Option<&Prediction>,
        out: &mut Effects,
    ) -> Phase {
        let why = match resolve_choice(&requests, text) {
            Choice::Show(id) => return self.show_request(id, out),
            Choice::Menu => return menu(out),
            Choice::AskAgain(why) => why,
            Choice::Classify => match decision(prediction) {
                // Perhaps they changed their mind ("mejor quiero hablar con un ejecutivo").
                Decision::Intent(intent) if intent != Intent::RevisarAtenciones => {
                    return self.choose(intent, out);
                }
                _ => say::NOT_RECOGNISED,
            },
        };
        out.send(say::ask_again(why, requests.len()));
        Phase::Choosing { requests }
    }

    /// Asks for one of the customer's requests (chosen in the list or named by its number
    /// anywhere in the conversation).
    fn show_request(&mut self, id: RequestId, out: &mut Effects) -> Phase {
        if self.customer.is_none() {
            return Phase::Menu;
        }
        out.store(StoreOp::Request(id));
        Phase::Pending(Pending::ShowRequest { id })
    }

    /// Shows the request; a number that is not the customer's gets the same answer as one
    /// that does not exist.
    fn on_request(
        &mut self,
        id: RequestId,
        found: Result<Option<Request>, StoreFailed>,
        ctx: &Context,
        out: &mut Effects,
    ) -> Phase {
        let Some(customer) = &self.customer else {
            return Phase::Menu;
        };
        let request = match found {
            Ok(Some(request)) if request.rut == customer.rut => request,
            Ok(_) => {
                out.send(say::request_not_found(id));
                return menu(out);
            }
            Err(StoreFailed) => {
                out.send(say::APOLOGY);
                return menu(out);
            }
        };
        describe(&request, out);
        out.record(StoreOp::RecordConsultation {
            request: id,
            channel: "chat",
        });
        match request.answer {
            Some(answer) if request.sensitive && self.needs_second_factor(ctx) => {
                if self.serial_attempts >= ctx.policy.max_serial_attempts {
                    out.send(say::SECOND_FACTOR_LOCKED);
                    return menu(out);
                }
                out.send(say::ASK_SERIAL);
                Phase::AwaitSerial {
                    request: id,
                    answer,
                }
            }
            Some(answer) => {
                out.send(say::bot(&answer));
                menu(out)
            }
            None => menu(out),
        }
    }

    fn needs_second_factor(&self, ctx: &Context) -> bool {
        let has_serial = self
            .customer
            .as_ref()
            .is_some_and(|c| c.id_serial.is_some());
        ctx.policy.second_factor && has_serial && !self.verified
    }

    fn on_serial(
        &mut self,
        request: RequestId,
        answer: String,
        text: &str,
        ctx: &Context,
        out: &mut Effects,
    ) -> Phase {
        if nlu::is_cancel(text) {
            return menu(out);
        }
        let expected = self
            .customer
            .as_ref()
            .and_then(|c| c.id_serial.as_deref())
            .map(normalise_serial);
        if expected.is_some_and(|expected| expected == normalise_serial(text)) {
            self.verified = true;
            out.send(say::bot(&answer));
            return menu(out);
        }
        self.serial_attempts += 1;
        let left = ctx
            .policy
            .max_serial_attempts
            .saturating_sub(self.serial_attempts);
        if left == 0 {
            tracing::warn!(request, "second factor locked after wrong serial numbers");
            out.send(say::SERIAL_LOCKED_NOW);
            return menu(out);
        }
        out.send(say::serial_mismatch(left));
        Phase::AwaitSerial { request, answer }
    }

    // --- option 2: restart -----------------------------------------------------------------

    fn restart_services(&mut self, out: &mut Effects) -> Phase {
        let Some(customer) = &self.customer else {
            return Phase::Menu;
        };
        out.send(say::RESTARTING);
        out.store(StoreOp::CreateRequest {
            rut: customer.rut,
            subject: history::RESTART_SUBJECT,
            state: RequestState::Cerrado,
            author: BOT_NAME,
            history: history::RESTART_DONE,
        });
        Phase::Pending(Pending::Restart)
    }

    fn on_restarted(&mut self, created: Result<Request, StoreFailed>, out: &mut Effects) -> Phase {
        match (created, &self.customer) {
            (Ok(request), Some(customer)) => {
                out.console(protocol::console::restart(&customer.name));
                out.send(say::restarted(request.id));
            }
            _ => out.send(say::APOLOGY),
        }
        menu(out)
    }

    // --- option 3: an executive ------------------------------------------------------------

    fn contact_agent(&mut self, out: &mut Effects) -> Phase {
        let Some(customer) = &self.customer else {
            return Phase::Menu;
        };
        out.store(StoreOp::CreateRequest {
            rut: customer.rut,
            subject: history::CONTACT_SUBJECT,
            state: RequestState::Abierto,
            author: BOT_NAME,
            history: history::CONTACT_ASKED,
        });
        Phase::Pending(Pending::Contact)
    }

    fn on_contact_recorded(
        &mut self,
        created: Result<Request, StoreFailed>,
        out: &mut Effects,
    ) -> Phase {
        match (created, &self.customer) {
            (Ok(request), Some(customer)) => {
                out.hub(HubOp::Enqueue {
                    name: customer.name.clone(),
                    rut: customer.rut,
                    request: request.id,
                });
                Phase::Pending(Pending::Enqueue {
                    request: request.id,
                })
            }
            _ => {
                out.send(say::APOLOGY);
                menu(out)
            }
        }
    }

    fn on_queued(
        &mut self,
        request: RequestId,
        told_backlog: bool,
        text: &str,
        out: &mut Effects,
    ) -> Phase {
        if text.is_empty() {
            return Phase::Queued {
                request,
                told_backlog,
            };
        }
        if nlu::is_cancel(text) || text == "4" {
            out.hub(HubOp::LeaveQueue);
            return Phase::Pending(Pending::LeaveQueue {
                request,
                told_backlog,
            });
        }
        self.say_to_agent(request, text, out);
        Phase::Pending(Pending::QueuedSays {
            request,
            told_backlog,
        })
    }

    /// Records a line for the executive and routes it through the hub.
    fn say_to_agent(&self, request: RequestId, text: &str, out: &mut Effects) {
        let speaker = self
            .customer
            .as_ref()
            .map_or("Cliente", |c| c.name.as_str())
            .to_string();
        let text = sanitize(text).into_owned();
        out.record(StoreOp::AppendTranscript {
            request,
            speaker,
            text: text.clone(),
        });
        out.hub(HubOp::CustomerSays(text));
    }

    // --- the live chat ---------------------------------------------------------------------

    fn on_chat(
        &mut self,
        request: RequestId,
        agent: String,
        text: &str,
        out: &mut Effects,
    ) -> Phase {
        if text.is_empty() {
            return Phase::Chatting { request, agent };
        }
        if is_leave_chat(text) {
            out.hub(HubOp::CustomerEndsChat);
            return Phase::Pending(Pending::EndChat { request, agent });
        }
        self.say_to_agent(request, text, out);
        Phase::Pending(Pending::ChatSays { request, agent })
    }

    // --- results ---------------------------------------------------------------------------

    fn on_stored(
        &mut self,
        pending: Pending,
        result: StoreResult,
        ctx: &Context,
        out: &mut Effects,
    ) -> Phase {
        match (pending, result) {
            (Pending::FindCustomer { rut }, StoreResult::Customer(found)) => {
                self.on_found(rut, found, ctx, out)
            }
            (Pending::Register { rut }, StoreResult::Registered(registered)) => {
                self.on_registered(rut, registered, out)
            }
            (Pending::ListRequests, StoreResult::Requests(found)) => self.on_requests(found, out),
            (Pending::ShowRequest { id }, StoreResult::Request(found)) => {
                self.on_request(id, found, ctx, out)
            }
            (Pending::Restart, StoreResult::Changed(created)) => self.on_restarted(created, out),
            (Pending::Contact, StoreResult::Changed(created)) => {
                self.on_contact_recorded(created, out)
            }
            (pending, _) => unexpected(Phase::Pending(pending), "store result"),
        }
    }

    fn on_hub(
        &mut self,
        pending: Pending,
        result: HubResult,
        ctx: &Context,
        out: &mut Effects,
    ) -> Phase {
        match (pending, result) {
            (Pending::Login { customer }, HubResult::LoggedIn(result)) => {
                self.on_login(customer, result, ctx, out)
            }
            (Pending::Enqueue { request }, HubResult::Enqueued(enqueued)) => {
                out.send(say::enqueued(enqueued.position));
                if enqueued.agents_online == 0 {
                    out.send(say::no_agents(request));
                }
                Phase::Queued {
                    request,
                    told_backlog: false,
                }
            }
            (
                Pending::LeaveQueue {
                    request,
                    told_backlog,
                },
                HubResult::LeftQueue(left),
            ) => match left {
                Ok(()) => {
                    out.send(say::left_queue(request));
                    out.record(StoreOp::AppendHistory {
                        request,
                        author: Cow::Borrowed(BOT_NAME),
                        text: Cow::Borrowed(history::LEFT_QUEUE),
                    });
                    menu(out)
                }
                // An executive took them a moment ago: the assignment event is on its way.
                Err(_) => {
                    out.send(say::JUST_TAKEN);
                    Phase::Queued {
                        request,
                        told_backlog,
                    }
                }
            },
            (
                Pending::QueuedSays {
                    request,
                    told_backlog,
                },
                HubResult::Routed(routed),
            ) => match routed {
                Ok(Routed::Backlog) if !told_backlog => {
                    out.send(say::MESSAGE_KEPT);
                    Phase::Queued {
                        request,
                        told_backlog: true,
                    }
                }
                Ok(_) => Phase::Queued {
                    request,
                    told_backlog,
                },
                Err(err) => {
                    tracing::warn!(cause = %err, "routing a queued message");
                    Phase::Queued {
                        request,
                        told_backlog,
                    }
                }
            },
            (Pending::ChatSays { request, agent }, HubResult::Routed(routed)) => {
                if let Err(err) = routed {
                    tracing::warn!(cause = %err, "routing a chat line");
                }
                Phase::Chatting { request, agent }
            }
            (Pending::EndChat { request, agent }, HubResult::ChatEnded(ended)) => {
                if ended.is_ok() {
                    out.record(StoreOp::AppendHistory {
                        request,
                        author: Cow::Borrowed(BOT_NAME),
                        text: Cow::Borrowed(history::ENDED_CHAT),
                    });
                }
                out.send(say::chat_left(&agent));
                menu(out)
            }
            (pending, _) => unexpected(Phase::Pending(pending), "hub result"),
        }
    }

    /// Handles an event from the hub (queue moves, executive messages...).
    fn on_event(&mut self, phase: Phase, event: CustomerEvent, out: &mut Effects) -> Phase {
        let request = match &phase {
            Phase::Queued { request, .. } | Phase::Chatting { request, .. } => *request,
            // Stale event for a conversation that already left the queue or the chat.
            _ => return phase,
        };
        match event {
            CustomerEvent::QueuePosition(position) => {
                out.send(say::queue_position(position));
                phase
            }
            CustomerEvent::Assigned { agent } => {
                out.send(say::assigned(&agent));
                Phase::Chatting { request, agent }
            }
            CustomerEvent::FromAgent { agent, text } => {
                out.send(say::from_agent(&agent, &text));
                phase
            }
            CustomerEvent::AgentRenamed { agent } => {
                out.send(say::agent_renamed(&agent));
                Phase::Chatting { request, agent }
            }
            CustomerEvent::ServicesRestarted { agent } => {
                out.send(say::restarted_by(&agent));
                phase
            }
            CustomerEvent::ChatEnded { agent } => {
                out.send(say::chat_ended(&agent));
                menu(out)
            }
            CustomerEvent::AgentLeft { agent } => {
                out.send(say::agent_left(&agent));
                Phase::Queued {
                    request,
                    told_backlog: true,
                }
            }
        }
    }

    /// The connection ended: leave the hub, record it when in the queue or a chat, and say
    /// so on the console.
    fn disconnected(&mut self, phase: Phase, out: &mut Effects) -> Phase {
        out.hub(HubOp::CustomerGone);
        let request = match phase {
            Phase::Queued { request, .. }
            | Phase::Chatting { request, .. }
            | Phase::Pending(
                Pending::Enqueue { request }
                | Pending::LeaveQueue { request, .. }
                | Pending::QueuedSays { request, .. }
                | Pending::ChatSays { request, .. }
                | Pending::EndChat { request, .. },
            ) => Some(request),
            _ => None,
        };
        if let Some(request) = request {
            out.record(StoreOp::AppendHistory {
                request,
                author: Cow::Borrowed(BOT_NAME),
                text: Cow::Borrowed(history::DISCONNECTED),
            });
        }
        if let Some(customer) = &self.customer {
            out.console(protocol::console::customer_disconnected(&customer.name));
        }
        Phase::Closed
    }
}

fn find_customer(rut: Rut, out: &mut Effects) -> Phase {
    out.store(StoreOp::FindCustomer(rut));
    Phase::Pending(Pending::FindCustomer { rut })
}

fn goodbye(out: &mut Effects) -> Phase {
    out.send(say::GOODBYE);
    Phase::Closed
}

/// "en qué más lo podemos ayudar" and the menu.
fn menu(out: &mut Effects) -> Phase {
    out.send(say::MORE_HELP);
    show_menu(out);
    Phase::Menu
}

/// What the NLU inbox keeps of a free-text message: its text (RUTs masked) and the
/// prediction, nothing about the customer.
fn inbox_message(
    text: &str,
    prediction: Option<&Prediction>,
    outcome: InboxOutcome,
) -> Option<InboxMessage> {
    Some(InboxMessage {
        text: review::inbox_text(text)?,
        outcome,
        predicted: prediction.map_or(Intent::Fallback, |p| p.intent),
        confidence: prediction.map_or(0.0, |p| p.confidence),
    })
}

/// Keeps a message the classifier did not handle well for `reclamos nlu review`.
fn keep_for_review(
    text: &str,
    prediction: Option<&Prediction>,
    outcome: InboxOutcome,
    out: &mut Effects,
) {
    if let Some(message) = inbox_message(text, prediction, outcome) {
        out.record(StoreOp::KeepInboxMessage(message));
    }
}

/// The prediction's decision; without a prediction, the classifier abstains.
fn decision(prediction: Option<&Prediction>) -> Decision {
    prediction.map_or(Decision::Fallback, |p| p.decision)
}

/// Writes the four menu lines.
fn show_menu(out: &mut Effects) {
    for line in say::MENU {
        out.send(line);
    }
}

/// Writes a request's details.
fn describe(request: &Request, out: &mut Effects) {
    out.send(say::request_title(request.id, &request.subject));
    out.send(say::request_state(request.state));
    out.send(say::HISTORY_HEADER);
    for entry in &request.history {
        out.send(say::history_entry(
            entry.at.format("%Y-%m-%d %H:%M"),
            &entry.author,
            &entry.text,
        ));
    }
}

/// What a line typed in the request list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    /// One of the listed requests.
    Show(RequestId),
    /// Nothing usable: ask again, saying why.
    AskAgain(&'static str),
    /// Back to the menu.
    Menu,
    /// Free text: the classifier decides (perhaps they changed their mind).
    Classify,
}

fn resolve_choice(requests: &[(RequestId, String)], text: &str) -> Choice {
    if let Ok(number) = text
        .trim_start_matches('(')
        .trim_end_matches([')', '.'])
        .parse::<u64>()
    {
        let by_position = usize::try_from(number)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| requests.get(i));
        return match by_position.or_else(|| requests.iter().find(|(id, _)| *id == number)) {
            Some((id, _)) => Choice::Show(*id),
            None => Choice::AskAgain(say::NOT_AMONG_YOURS),
        };
    }
    if text.is_empty() {
        return Choice::AskAgain(say::NOTHING_RECEIVED);
    }
    if nlu::is_cancel(text) || nlu::yes_no(text) == Some(false) {
        return Choice::Menu;
    }
    if let Some(number) = nlu::request_number(text) {
        if requests.iter().any(|(id, _)| *id == number) {
            return Choice::Show(number);
        }
    }
    let subjects: Vec<&str> = requests
        .iter()
        .map(|(_, subject)| subject.as_str())
        .collect();
    if let Some(index) = nlu::pick_by_description(text, &subjects) {
        return Choice::Show(requests[index].0);
    }
    Choice::Classify
}

/// A menu choice written as a number: `3`, `3.`, `(3)`, `opción 3`.
fn menu_number(text: &str) -> Option<u8> {
    let lower = text.to_lowercase();
    let stripped = lower
        .trim_start_matches("opcion")
        .trim_start_matches("opción")
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(['.', ')'])
        .trim();
    if stripped.len() > 2 {
        return None;
    }
    stripped.parse().ok()
}

/// "salir" and friends before logging in.
fn wants_out(text: &str) -> bool {
    matches!(
        text.to_lowercase().as_str(),
        "salir" | "chao" | "adios" | "adiós" | "4"
    )
}

fn is_leave_chat(text: &str) -> bool {
    matches!(
        text.to_lowercase()
            .trim_matches(|c: char| !c.is_alphanumeric()),
        "salir" | "terminar" | "finalizar" | "terminar chat" | "salir del chat"
    )
}

fn valid_name(text: &str) -> Option<String> {
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let ok = (2..=80).contains(&name.chars().count())
        && name.chars().any(char::is_alphabetic)
        && name
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '\'' | '-' | '.'));
    ok.then_some(name)
}

fn normalise_serial(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests;
