//! The words the lint looks for, each with the rewording it suggests. Lower case; matched on
//! whole words.

/// Counterfactuals: flagged only when a person is the subject ("we should have paged"), not a
/// system or a safeguard ("this alert would have detected it").
pub const COUNTERFACTUALS: &[(&str, &str)] = &[
    ("should have", "say what was expected and what happened instead"),
    ("should've", "say what was expected and what happened instead"),
    ("could have", "say what was possible at the time, and what made it hard to see"),
    ("could've", "say what was possible at the time, and what made it hard to see"),
    ("would have", "describe what happened, not an imagined alternative"),
    ("would've", "describe what happened, not an imagined alternative"),
    ("failed to", "say \"did not\", and what made it hard"),
    ("neglected to", "say \"did not\", and what made it hard"),
    ("didn't bother", "say \"did not\", and what made it hard"),
];

/// Counterfactuals whatever the subject.
pub const ALWAYS_COUNTERFACTUAL: &[(&str, &str)] = &[
    ("if only", "describe the conditions that were in place"),
    ("lost situational awareness", "describe what information was missing or misleading, and why"),
];

const SITUATION: &str = "describe the situation, not the person";

/// Blame and judgement, skipped when negated ("this is not incompetence").
pub const JUDGEMENTS: &[(&str, &str)] = &[
    ("human error", "describe the conditions that made the action possible and likely"),
    ("operator error", "describe the conditions that made the action possible and likely"),
    ("user error", "describe the conditions that made the action possible and likely"),
    ("careless", SITUATION),
    ("carelessly", SITUATION),
    ("negligent", SITUATION),
    ("negligence", SITUATION),
    ("incompetent", SITUATION),
    ("incompetence", SITUATION),
    ("sloppy", SITUATION),
    ("stupid", SITUATION),
    ("reckless", SITUATION),
    ("lazy", SITUATION),
    ("blunder", SITUATION),
    ("oversight", "name the check or step that was missing, not someone's lapse"),
    ("messed up", "say what happened and what made it likely"),
    ("screwed up", "say what happened and what made it likely"),
    ("at fault", "name the conditions, not a culprit"),
    ("to blame", "name the conditions, not a culprit"),
    ("obviously", "drop it: it was not obvious at the time"),
];

/// "poorly written", "badly configured": a judgement of someone's work.
pub const JUDGING_ADVERBS: &[&str] = &["poorly", "badly", "sloppily"];

/// Hindsight: the outcome read back into the action. Flagged wherever they stand.
pub const HINDSIGHT: &[(&str, &str)] = &[
    ("errantly", "say what the person believed and what made it look true"),
    ("too late", "give the times; say what made it slow to see"),
    ("slipped in", "say which check it passed and why that check could not catch it"),
    ("slipped through", "say which check it passed and why that check could not catch it"),
    ("slipped past", "say which check it passed and why that check could not catch it"),
    ("without realizing", "say what the person could see at the time"),
    ("without realising", "say what the person could see at the time"),
    ("mistake", "say what happened and what made it likely, not that it was a mistake"),
    ("mistakes", "say what happened and what made it likely, not that it was a mistake"),
];

/// Hindsight adverbs, flagged when a person acts in the clause or they qualify an operation
/// ("was mistakenly shut down"), not a system's behaviour ("the job was mistakenly marked").
pub const HINDSIGHT_ADVERBS: &[(&str, &str)] = &[
    ("mistakenly", "say what was intended and what the tool did"),
    ("by mistake", "say what was intended and what the tool did"),
    ("incorrectly", "say what was believed at the time and on what evidence"),
    ("wrongly", "say what was believed at the time and on what evidence"),
    ("accidentally", "say what was intended and what the tool did"),
];

/// Operations a person carries out: with one of these, a hindsight adverb is about a person.
pub const OPERATIONS: &[&str] = &[
    "shut",
    "shutdown",
    "executed",
    "execute",
    "ran",
    "run",
    "entered",
    "typed",
    "deleted",
    "removed",
    "wiped",
    "deployed",
    "pushed",
    "merged",
    "applied",
    "assessed",
    "configured",
    "set",
    "restarted",
    "stopped",
    "dropped",
    "scheduled",
];

/// What a person's mind did, told as a story about that one person ("team-member-1 decides to
/// remove the directory", "he notices he ran it on db1").
pub const MENTAL_VERBS: &[&str] = &[
    "thinks",
    "thinking",
    "decides",
    "notices",
    "noticing",
    "realizes",
    "realizing",
    "realises",
    "realising",
    "assumes",
    "assuming",
    "believes",
    "forgets",
];

/// Verbs that make their subject the cause of the damage.
pub const CAUSE_VERBS: &[&str] = &[
    "caused",
    "causes",
    "broke",
    "breaks",
    "deleted",
    "deletes",
    "wiped",
    "wipes",
    "dropped",
    "drops",
    "destroyed",
    "erased",
    "truncated",
    "forgot",
    "forgets",
    "missed",
    "ignored",
    "messed",
    "botched",
    "screwed",
    "misconfigured",
    "mistyped",
];

/// Verbs that do so only when the sentence says the target was the wrong one.
pub const WRONG_TARGET_VERBS: &[&str] = &["ran", "runs", "executed", "executes", "removed", "removes", "typed"];
pub const WRONG_TARGET_MARKERS: &[&str] = &["instead of", "instead", "wrong", "rather than", "not the"];

/// Words that stand for a person or a group of people.
pub const PEOPLE_PRONOUNS: &[&str] =
    &["i", "we", "you", "he", "she", "they", "someone", "somebody", "nobody", "everyone", "anyone"];
pub const ROLE_NOUNS: &[&str] = &[
    "engineer",
    "engineers",
    "operator",
    "operators",
    "developer",
    "developers",
    "admin",
    "admins",
    "administrator",
    "sysadmin",
    "sre",
    "sres",
    "responder",
    "responders",
    "on-call",
    "oncall",
    "on-caller",
    "contributor",
    "maintainer",
    "author",
    "reviewer",
    "employee",
    "intern",
    "contractor",
    "human",
    "humans",
    "team",
    "staff",
    "dba",
    "person",
    "teammate",
    "team-member",
    "technician",
    "technicians",
    "staffer",
    "sysadmins",
];
/// Role nouns that stand for a group, not one person.
pub const GROUP_NOUNS: &[&str] = &["team", "staff", "human"];

/// Verbs that open a vague action item whoever owns it: they name no change one could check.
pub const VAGUE_ALWAYS: &[(&str, &str)] = &[
    ("improve", "say what will change and how we will know"),
    ("make better", "say what will change and how we will know"),
    ("strive to", "say what will change and how we will know"),
    ("continue to", "say what will change and how we will know"),
    ("be more careful", "name a change to the system or process, not to people's care"),
];
/// Verbs that open a vague item when nobody owns it ("Investigate X"): with an owner, the
/// investigation has someone to settle it.
pub const VAGUE_UNOWNED: &[(&str, &str)] = &[
    ("investigate", "say what decision the investigation will settle, who owns it and by when"),
    ("look into", "say what decision the investigation will settle, who owns it and by when"),
    ("explore", "say what decision the investigation will settle, who owns it and by when"),
    ("consider", "decide, or say what decision is pending and who takes it by when"),
    ("review", "say what the review must produce, who owns it and by when"),
    ("revisit", "say what the review must produce, who owns it and by when"),
    ("evaluate", "say what decision the evaluation will settle, who owns it and by when"),
];
/// Vague wherever they stand in an item.
pub const VAGUE_ANYWHERE: &[(&str, &str)] = &[
    ("more careful", "name a change to the system or process, not to people's care"),
    ("double-check", "name the check a tool will make, not a person's care"),
];

/// A heading or label containing one of these opens a list of action items.
pub const ACTION_SECTIONS: &[&str] = &[
    "action item",
    "actions",
    "corrective",
    "remediation",
    "next step",
    "follow-up",
    "follow up",
    "followup",
    "prevent",
    "what we're doing",
    "what we are doing",
    "what we will do",
    "what we'll do",
    "improvements",
    "to do",
    "todo",
];

/// Sentences that state the blameless principle mention one of these with a negation.
pub const PRINCIPLE_WORDS: &[&str] =
    &["blame", "individual", "individuals", "person", "people", "fault", "culprit", "incompetence"];
pub const NEGATIONS: &[&str] = &["not", "no", "never", "without", "n't", "nor", "isn't", "wasn't", "don't"];
