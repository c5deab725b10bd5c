"""A probabilistic grammar that writes the tiny-gpt training corpus and its held-out task sets.

No prose corpus can be downloaded on these machines, so the project writes its own: short toy
stories, simple facts, Q&A, task formats (sentiment reviews, word translation) and
context-grounded questions whose answer is a span of a short passage.

Every task *document* draws its own label words (``positive/negative``, ``good/bad``, ...) and its
own target language, so a zero-shot prompt is ambiguous and few-shot examples visibly teach the
answer format -- which is what the prompt-shot page measures.

>>> docs = generate_corpus(CorpusConfig(n_docs=20, seed=1))
>>> len(docs)
20
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from core.knobs import check, knob
from core.word_problems import (
    DIGITS,
    cot_text,
    direct_text,
    lookup_problem,
    pal_text,
    react_text,
    search_problem,
    word_problem,
)

NAMES = tuple(
    "Tom Lily Max Anna Ben Sara Sam Mia Leo Zoe Tim Emma Jack Lucy Noah Ella Finn Rosa Omar "
    "Nina Hugo Ivy Kai Luna".split()
)
ANIMALS = tuple("cat dog bird fox rabbit duck frog horse mouse bear cow pig".split())
PLACES = ("park", "garden", "forest", "beach", "farm", "school", "river", "hill", "town", "lake")
OBJECTS = tuple("ball kite hat book box cup bike boat drum cake lamp shoe".split())
COLORS = ("red", "blue", "green", "yellow", "pink", "brown", "white", "black", "orange", "purple")
ACTIVITIES = tuple("play run sing read jump swim dance draw climb bake paint fish".split())
FEELINGS = ("happy", "sad", "scared", "tired", "proud", "excited", "calm", "angry")
SIZES = ("big", "small", "tiny", "huge", "little", "tall")
CITIES = ("Oslo", "Paris", "Rome", "Cairo", "Lima", "Tokyo", "Delhi", "Berlin", "Madrid", "Dublin")
FOODS = ("apples", "bread", "soup", "rice", "cheese", "pears", "cookies", "carrots", "fish", "eggs")

ANIMAL_SOUNDS = {
    "cat": "meow",
    "dog": "woof",
    "cow": "moo",
    "duck": "quack",
    "pig": "oink",
    "frog": "croak",
    "horse": "neigh",
    "mouse": "squeak",
    "bird": "tweet",
    "bear": "growl",
}
THING_COLORS = {
    "the sky": "blue",
    "grass": "green",
    "snow": "white",
    "a banana": "yellow",
    "coal": "black",
    "a tomato": "red",
    "an orange": "orange",
    "chocolate": "brown",
    "a leaf": "green",
    "milk": "white",
}
CAPITALS = {
    "France": "Paris",
    "Italy": "Rome",
    "Egypt": "Cairo",
    "Peru": "Lima",
    "Japan": "Tokyo",
    "Norway": "Oslo",
    "India": "Delhi",
    "Germany": "Berlin",
    "Spain": "Madrid",
    "Ireland": "Dublin",
}
OPPOSITES = {
    "hot": "cold",
    "big": "small",
    "up": "down",
    "day": "night",
    "fast": "slow",
    "happy": "sad",
    "old": "new",
    "wet": "dry",
    "open": "closed",
    "light": "dark",
    "loud": "quiet",
    "full": "empty",
}

# English word -> translation per language. Every document of the translation task picks one
# language, so "cat =>" alone is ambiguous and the examples say which language is wanted.
TRANSLATIONS: dict[str, dict[str, str]] = {
    "cat": {"French": "chat", "Spanish": "gato", "German": "Katze"},
    "dog": {"French": "chien", "Spanish": "perro", "German": "Hund"},
    "house": {"French": "maison", "Spanish": "casa", "German": "Haus"},
    "water": {"French": "eau", "Spanish": "agua", "German": "Wasser"},
    "bread": {"French": "pain", "Spanish": "pan", "German": "Brot"},
    "book": {"French": "livre", "Spanish": "libro", "German": "Buch"},
    "sun": {"French": "soleil", "Spanish": "sol", "German": "Sonne"},
    "moon": {"French": "lune", "Spanish": "luna", "German": "Mond"},
    "tree": {"French": "arbre", "Spanish": "arbol", "German": "Baum"},
    "car": {"French": "voiture", "Spanish": "coche", "German": "Auto"},
    "apple": {"French": "pomme", "Spanish": "manzana", "German": "Apfel"},
    "milk": {"French": "lait", "Spanish": "leche", "German": "Milch"},
    "school": {"French": "ecole", "Spanish": "escuela", "German": "Schule"},
    "friend": {"French": "ami", "Spanish": "amigo", "German": "Freund"},
    "red": {"French": "rouge", "Spanish": "rojo", "German": "rot"},
    "blue": {"French": "bleu", "Spanish": "azul", "German": "blau"},
    "green": {"French": "vert", "Spanish": "verde", "German": "gruen"},
    "big": {"French": "grand", "Spanish": "grande", "German": "gross"},
    "small": {"French": "petit", "Spanish": "pequeno", "German": "klein"},
    "day": {"French": "jour", "Spanish": "dia", "German": "Tag"},
    "night": {"French": "nuit", "Spanish": "noche", "German": "Nacht"},
    "hand": {"French": "main", "Spanish": "mano", "German": "Hand"},
    "door": {"French": "porte", "Spanish": "puerta", "German": "Tuer"},
    "fish": {"French": "poisson", "Spanish": "pez", "German": "Fisch"},
    "horse": {"French": "cheval", "Spanish": "caballo", "German": "Pferd"},
    "bird": {"French": "oiseau", "Spanish": "pajaro", "German": "Vogel"},
    "city": {"French": "ville", "Spanish": "ciudad", "German": "Stadt"},
    "sea": {"French": "mer", "Spanish": "mar", "German": "Meer"},
    "flower": {"French": "fleur", "Spanish": "flor", "German": "Blume"},
    "cheese": {"French": "fromage", "Spanish": "queso", "German": "Kaese"},
}
LANGUAGES = ("French", "Spanish", "German")

# Sentiment label words: each review document uses one pair, first word = positive.
LABEL_PAIRS = (
    ("positive", "negative"),
    ("good", "bad"),
    ("yes", "no"),
    ("happy", "sad"),
    ("great", "awful"),
)
POS_PHRASES = (
    "the food was delicious",
    "the staff were kind",
    "the room was clean",
    "the movie was fun",
    "the music was lovely",
    "the service was quick",
    "the view was beautiful",
    "I loved it",
    "the price was fair",
    "the bed was comfortable",
    "the story was exciting",
    "it was a joy",
    "the coffee was perfect",
    "the teacher was patient",
    "the game was amazing",
    "I would come back",
)
NEG_PHRASES = (
    "the food was cold",
    "the staff were rude",
    "the room was dirty",
    "the movie was boring",
    "the music was too loud",
    "the service was slow",
    "the view was ugly",
    "I hated it",
    "the price was too high",
    "the bed was hard",
    "the story was dull",
    "it was a waste of time",
    "the coffee was bitter",
    "the teacher was mean",
    "the game was broken",
    "I will never come back",
)

# Held-out splits: these phrases and words never appear in task-format training documents.
HELDOUT_TRANSLATION_WORDS = ("moon", "milk", "door", "horse", "flower", "cheese")


@dataclass(frozen=True)
class CorpusConfig:
    """How much corpus to write and with which seed.

    Args:
        n_docs: number of documents (stories, facts, Q&A, task documents, context questions).
        seed: seed of the private random generator; the same seed writes the same corpus.
        heldout: write documents for the held-out split (the validation text), never trained on.
    """

    n_docs: int = knob(25_000, lo=1)  # about 4 MB of text, a few minutes of training on 2 cores
    seed: int = 1337
    heldout: bool = False

    def __post_init__(self) -> None:
        check(self)


def story(r: random.Random) -> tuple[str, str]:
    """A toy story and its one-sentence summary (the summary draws nothing: it restates who found
    what and showed it to whom, so it can only be written by reading the story)."""
    name, friend = r.sample(NAMES, 2)
    animal, place, obj, color = (
        r.choice(ANIMALS),
        r.choice(PLACES),
        r.choice(OBJECTS),
        r.choice(COLORS),
    )
    act, act2 = r.sample(ACTIVITIES, 2)
    feel = r.choice(FEELINGS)
    size = r.choice(SIZES)
    opening = r.choice(
        [
            f"Once upon a time, there was a {size} {animal} named {name}.",
            f"One day, a {size} {animal} called {name} went to the {place}.",
            f"{name} was a {size} {animal} who lived near the {place}.",
        ]
    )
    middle = [
        f"{name} liked to {act} in the {place}.",
        f"One day, {name} found a {color} {obj}.",
        f"{name} showed the {obj} to {friend}.",
        r.choice(
            [
                f'"Can we {act2} together?" asked {friend}.',
                f'"What a nice {obj}!" said {friend}.',
                f"{friend} wanted to {act2} with the {obj} too.",
            ]
        ),
        r.choice(
            [
                f"They played all day and felt {feel}.",
                f"But then the {obj} fell into the {r.choice(PLACES)}, and {name} felt {feel}.",
                f"{name} and {friend} shared the {obj} and ate some {r.choice(FOODS)}.",
            ]
        ),
    ]
    ending = r.choice(
        [
            f"At the end of the day, {name} went home and slept well.",
            f"From that day on, {name} and {friend} were best friends.",
            f"{name} learned that sharing makes everyone {r.choice(('happy', 'glad', 'proud'))}.",
        ]
    )
    summary = f"{name} the {animal} found a {color} {obj} and showed it to {friend}."
    return " ".join([opening, *middle, ending]), summary


def _story(r: random.Random) -> str:
    return story(r)[0]


def _facts(r: random.Random) -> str:
    out = []
    for _ in range(r.randint(3, 6)):
        kind = r.randrange(4)
        if kind == 0:
            a = r.choice(list(ANIMAL_SOUNDS))
            out.append(f"A {a} says {ANIMAL_SOUNDS[a]}.")
        elif kind == 1:
            t = r.choice(list(THING_COLORS))
            out.append(f"The color of {t} is {THING_COLORS[t]}.")
        elif kind == 2:
            c = r.choice(list(CAPITALS))
            out.append(f"The capital of {c} is {CAPITALS[c]}.")
        else:
            w = r.choice(list(OPPOSITES))
            out.append(f"The opposite of {w} is {OPPOSITES[w]}.")
    return " ".join(out)


def qa_pair(r: random.Random) -> tuple[str, str]:
    """One simple question and its one-word answer, drawn from the fact tables."""
    kind = r.randrange(4)
    if kind == 0:
        a = r.choice(list(ANIMAL_SOUNDS))
        return f"What does a {a} say?", ANIMAL_SOUNDS[a]
    if kind == 1:
        t = r.choice(list(THING_COLORS))
        return f"What color is {t}?", THING_COLORS[t]
    if kind == 2:
        c = r.choice(list(CAPITALS))
        return f"What is the capital of {c}?", CAPITALS[c]
    w = r.choice(list(OPPOSITES))
    return f"What is the opposite of {w}?", OPPOSITES[w]


def _qa_doc(r: random.Random) -> str:
    return "\n\n".join(f"Q: {q}\nA: {a}" for q, a in (qa_pair(r) for _ in range(r.randint(3, 7))))


def _qa_choices(r: random.Random, answer: str) -> list[str]:
    """The gold answer plus three distractors from the same fact table, in random order."""
    table = next(
        list(dict.fromkeys(t.values()))
        for t in (ANIMAL_SOUNDS, THING_COLORS, CAPITALS, OPPOSITES)
        if answer in t.values()
    )
    distractors = r.sample([x for x in table if x != answer], 3)
    choices = [answer, *distractors]
    r.shuffle(choices)
    return choices


def review(r: random.Random, positive: bool) -> str:
    """A short review of one polarity: two or three clauses, capitalised, ending in a full stop."""
    pool = POS_PHRASES if positive else NEG_PHRASES
    parts = r.sample(pool, r.randint(2, 3))
    text = ", and ".join(parts) if len(parts) == 2 else f"{parts[0]}, {parts[1]}, and {parts[2]}"
    return text[0].upper() + text[1:] + "."


def _sentiment_doc(r: random.Random) -> str:
    pos_word, neg_word = r.choice(LABEL_PAIRS)
    lines = []
    if r.random() < 0.5:
        lines.append(f"Label each review as {pos_word} or {neg_word}.\n")
    items = []
    for _ in range(r.randint(3, 8)):
        positive = r.random() < 0.5
        items.append(
            f"Review: {review(r, positive)}\nSentiment: {pos_word if positive else neg_word}"
        )
    return "\n".join(lines) + "\n\n".join(items)


def _translation_doc(r: random.Random, heldout: bool) -> str:
    lang = r.choice(LANGUAGES)
    pool = (
        list(HELDOUT_TRANSLATION_WORDS)
        if heldout
        else [w for w in TRANSLATIONS if w not in HELDOUT_TRANSLATION_WORDS]
    )
    words = r.sample(pool, min(len(pool), r.randint(3, 8)))
    head = f"Translate English to {lang}.\n" if r.random() < 0.5 else ""
    return head + "\n".join(f"{w} => {TRANSLATIONS[w][lang]}" for w in words)


def _dictionary_sentences(r: random.Random) -> str:
    """Plain sentences teaching every translation (held-out words too) outside the task format."""
    out = []
    for _ in range(r.randint(3, 6)):
        w = r.choice(list(TRANSLATIONS))
        lang = r.choice(LANGUAGES)
        out.append(f"The {lang} word for {w} is {TRANSLATIONS[w][lang]}.")
    return " ".join(out)


def context_question(r: random.Random) -> tuple[str, str, str]:
    """A short passage, a question about it, and the answer: a span of the passage.

    Names, places, objects and colours are drawn at random, so the answer can only come from
    reading the passage, never from memorised facts.
    """
    name, friend = r.sample(NAMES, 2)
    city, obj, color, food, animal = (
        r.choice(CITIES),
        r.choice(OBJECTS),
        r.choice(COLORS),
        r.choice(FOODS),
        r.choice(ANIMALS),
    )
    facts = [
        (f"{name} lives in {city}.", f"Where does {name} live?", city),
        (f"{name} has a {color} {obj}.", f"What color is {name}'s {obj}?", color),
        (f"{name} likes to eat {food}.", f"What does {name} like to eat?", food),
        (f"{name}'s best friend is {friend}.", f"Who is {name}'s best friend?", friend),
        (f"{name} has a pet {animal}.", f"What pet does {name} have?", animal),
    ]
    chosen = r.sample(facts, r.randint(2, 4))
    passage = " ".join(f for f, _, _ in chosen)
    _, question, answer = r.choice(chosen)
    return passage, question, answer


def _context_doc(r: random.Random) -> str:
    passage, question, answer = context_question(r)
    return f"Context: {passage}\nQuestion: {question}\nAnswer: {answer}"


def _math_doc(r: random.Random, fmt: str) -> str:
    """A word problem (:mod:`core.word_problems`, training names and numbers only) answered in
    one format: ``direct``, ``cot``, ``pal`` or ``react``."""
    write = {"direct": direct_text, "cot": cot_text, "pal": pal_text, "react": react_text}[fmt]
    digits = r.choices(DIGITS, (0.4, 0.35, 0.25))[0]
    return write(word_problem(r, digits, two_steps=r.random() < 0.7))


def _lookup_doc(r: random.Random) -> str:
    """A ReAct trace reading a price or an age (drawn at random, so only the observation tells)."""
    return react_text(lookup_problem(r, random_facts=True))


def _search_doc(r: random.Random) -> str:
    """A ReAct trace searching for a person; the observation is a passage about them."""
    passage, question, answer = context_question(r)
    name = passage.split()[0].removesuffix("'s")
    return react_text(search_problem(name, question, answer), passage)


# (kind, weight): stories and context questions dominate (both teach copying from the context);
# every task format appears thousands of times; the word problems (a fifth) teach the four
# answer formats of the agents page.
_MIX = (
    ("story", 0.22),
    ("facts", 0.063),
    ("qa", 0.071),
    ("sentiment", 0.102),
    ("translation", 0.079),
    ("dictionary", 0.04),
    ("context", 0.212),
    ("math_direct", 0.035),
    ("math_cot", 0.045),
    ("math_pal", 0.045),
    ("math_react", 0.05),
    ("react_lookup", 0.018),
    ("react_search", 0.02),
)


# What each kind of document is, in the model card's words: (name, detail or "").
KIND_NOTES = {
    "story": ("toy stories", ""),
    "facts": ("simple facts", ""),
    "qa": ("Q&A", ""),
    "sentiment": (
        "sentiment reviews",
        "each document draws its own label words: positive/negative, good/bad, yes/no, "
        "happy/sad, great/awful",
    ),
    "translation": (
        "word translation",
        "each document draws its language: French, Spanish or German; six words never appear "
        "in that format",
    ),
    "dictionary": ("dictionary sentences", ""),
    "context": (
        "context-grounded questions",
        "a short passage, a question, and an answer that is a span of the passage, with names "
        "and places drawn at random",
    ),
    "math_direct": ("word problems answered directly", ""),
    "math_cot": ("word problems with a chain of thought", ""),
    "math_pal": ("word problems as a small program", ""),
    "math_react": ("word problems as ReAct traces", "calculator[...] calls"),
    "react_lookup": ("ReAct traces reading lookup[...]", "a price or an age drawn at random"),
    "react_search": ("ReAct traces reading search[...]", "a passage about a person"),
}


def recipe() -> str:
    """The corpus mix in words, each kind with its share (the model card's recipe line).

    >>> recipe().startswith("toy stories (22%), simple facts (6%)")
    True
    """
    parts = []
    for kind, w in _MIX:
        name, note = KIND_NOTES[kind]
        parts.append(f"{name} ({w:.0%}{'; ' + note if note else ''})")
    return ", ".join(parts)


# The kinds whose text a language measurement (perplexity, KL) should read: the word problems'
# numbers are random by construction, so a flatter (worse) model can score better on them.
WORD_PROBLEM_KINDS = ("math_direct", "math_cot", "math_pal", "math_react", "react_lookup")
LANGUAGE_KINDS = tuple(k for k, _ in _MIX if k not in WORD_PROBLEM_KINDS)


def generate_corpus(config: CorpusConfig) -> list[str]:
    """Write ``config.n_docs`` documents, reproducibly for ``config.seed``.

    Args:
        config: size, seed and split.

    Returns:
        The documents, each a string; join them with a blank line and an end-of-text marker.
    """
    return [doc for _, doc in corpus_documents(config)]


def corpus_documents(config: CorpusConfig) -> list[tuple[str, str]]:
    """:func:`generate_corpus`'s documents with their kinds (``story``, ``math_pal``, ...)."""
    r = random.Random(config.seed + (10_000 if config.heldout else 0))
    kinds = [k for k, _ in _MIX]
    weights = [w for _, w in _MIX]
    docs: list[tuple[str, str]] = []
    for _ in range(config.n_docs):
        kind = r.choices(kinds, weights)[0]
        if kind == "story":
            doc = _story(r)
        elif kind == "facts":
            doc = _facts(r)
        elif kind == "qa":
            doc = _qa_doc(r)
        elif kind == "sentiment":
            doc = _sentiment_doc(r)
        elif kind == "translation":
            doc = _translation_doc(r, config.heldout)
        elif kind == "dictionary":
            doc = _dictionary_sentences(r)
        elif kind.startswith("math_"):
            doc = _math_doc(r, kind.removeprefix("math_"))
        elif kind == "react_lookup":
            doc = _lookup_doc(r)
        elif kind == "react_search":
            doc = _search_doc(r)
        else:
            doc = _context_doc(r)
        docs.append((kind, doc))
    return docs


def heldout_tasks(seed: int = 4242, n_items: int = 60) -> dict[str, dict[str, Any]]:
    """The labelled task sets shipped in ``assets/tasks/``: examples (shots) and held-out items.

    Items are drawn from a seed the training corpus never used; the translation items are words
    the training corpus never showed in the ``word => translation`` format.

    Returns:
        task name -> {"name", "instruction", "input_prefix", "output_prefix", "labels",
        "examples": [{"input", "output"}], "items": [{"input", "output", "choices"}]}.
    """
    r = random.Random(seed)

    def sentiment_items(n: int) -> list[dict]:
        out = []
        for i in range(n):
            positive = i % 2 == 0
            out.append(
                {"input": review(r, positive), "output": "positive" if positive else "negative"}
            )
        return out

    sentiment = {
        "name": "sentiment",
        "title": "Review sentiment (positive / negative)",
        "instruction": "Label each review as positive or negative.",
        "input_prefix": "Review: ",
        "output_prefix": "\nSentiment: ",
        "separator": "\n\n",
        "labels": ["positive", "negative"],
        "examples": sentiment_items(8),
        "items": sentiment_items(n_items),
    }

    questions = [
        *((f"What does a {a} say?", s) for a, s in ANIMAL_SOUNDS.items()),
        *((f"What color is {t}?", c) for t, c in THING_COLORS.items()),
        *((f"What is the capital of {c}?", k) for c, k in CAPITALS.items()),
        *((f"What is the opposite of {w}?", o) for w, o in OPPOSITES.items()),
    ]
    r.shuffle(questions)
    qa_rows = [{"input": q, "output": a, "choices": _qa_choices(r, a)} for q, a in questions]
    qa_examples, qa_items = qa_rows[:8], qa_rows[8:]
    qa = {
        "name": "qa",
        "title": "Simple questions (Q: / A:)",
        "instruction": "Answer each question with one word.",
        "input_prefix": "Q: ",
        "output_prefix": "\nA: ",
        "separator": "\n\n",
        "labels": None,
        "examples": qa_examples,
        "items": qa_items,
    }

    lang = "French"
    train_words = [w for w in TRANSLATIONS if w not in HELDOUT_TRANSLATION_WORDS]
    ex_words = r.sample(train_words, 8)
    item_words = [w for w in TRANSLATIONS if w not in ex_words]
    translation = {
        "name": "translation",
        "title": "Word translation (English => French)",
        "instruction": "Translate English to French.",
        "input_prefix": "",
        "output_prefix": " => ",
        "separator": "\n",
        "labels": None,
        "examples": [{"input": w, "output": TRANSLATIONS[w][lang]} for w in ex_words],
        "items": [
            {
                "input": w,
                "output": TRANSLATIONS[w][lang],
                "choices": [TRANSLATIONS[w][x] for x in LANGUAGES],
            }
            for w in item_words
        ],
    }

    ctx_items = []
    for _ in range(n_items):
        passage, question, answer = context_question(r)
        ctx_items.append({"context": passage, "question": question, "output": answer})
    context = {
        "name": "context_qa",
        "title": "Answer from a passage (Context / Question / Answer)",
        "items": ctx_items,
    }
    tasks: tuple[dict[str, Any], ...] = (sentiment, qa, translation, context)
    return {str(t["name"]): t for t in tasks}


def review_dataset(n: int = 300, seed: int = 777) -> list[dict[str, str]]:
    """A balanced labelled review set (``text``, ``label`` in positive/negative), held out from
    the tiny-gpt corpus by its seed; shipped as ``assets/datasets/reviews.csv``."""
    r = random.Random(seed)
    rows = []
    for i in range(n):
        positive = i % 2 == 0
        rows.append({"text": review(r, positive), "label": "positive" if positive else "negative"})
    r.shuffle(rows)
    return rows


# --- the seq2seq formats tiny-t5 is trained on ---------------------------------------------------
# T5's convention: a task prefix on the source, the answer alone as the target.
SEQ2SEQ_TASKS = ("translation", "context_qa", "summarization", "sentiment")
_SEQ2SEQ_MIX = (
    ("translation", 0.3),
    ("context_qa", 0.3),
    ("summarization", 0.2),
    ("sentiment", 0.2),
)


def translate_source(words: str, lang: str = "French") -> str:
    """The tiny-t5 source asking for a translation: ``translate English to French: cat dog``."""
    return f"translate English to {lang}: {words}"


def context_source(passage: str, question: str) -> str:
    """The tiny-t5 source of a context question (SQuAD-style T5 order: question, then context)."""
    return f"question: {question} context: {passage}"


def summarize_source(text: str) -> str:
    return f"summarize: {text}"


def sentiment_source(text: str) -> str:
    return f"sentiment: {text}"


def _translation_pair(r: random.Random) -> tuple[str, str, str]:
    lang = r.choice(LANGUAGES)
    pool = [w for w in TRANSLATIONS if w not in HELDOUT_TRANSLATION_WORDS]
    words = r.sample(pool, r.randint(1, 4))
    src = " ".join(words)
    return (
        "translation",
        translate_source(src, lang),
        " ".join(TRANSLATIONS[w][lang] for w in words),
    )


def _dictionary_pair(r: random.Random) -> tuple[str, str, str]:
    """Every word, held-out ones too, taught outside the translation format (as tiny-gpt's
    dictionary sentences do): the model must carry it over to ``translate ...:``."""
    w, lang = r.choice(list(TRANSLATIONS)), r.choice(LANGUAGES)
    return "translation", f"The {lang} word for {w} is", TRANSLATIONS[w][lang]


def seq2seq_pairs(config: CorpusConfig) -> list[tuple[str, str, str]]:
    """``config.n_docs`` (task, source, target) pairs for an encoder-decoder, reproducibly.

    Translation turns one to four words into French, Spanish or German (the six held-out words
    never appear in that format, only in ``The French word for moon is`` pairs); context
    questions answer with a span of the passage; summaries restate a toy story in one sentence;
    sentiment labels a review ``positive`` or ``negative``.

    >>> [t for t, _, _ in seq2seq_pairs(CorpusConfig(n_docs=4, seed=3))]
    ['summarization', 'translation', 'sentiment', 'translation']
    """
    r = random.Random(config.seed + 20_000 + (10_000 if config.heldout else 0))
    kinds = [k for k, _ in _SEQ2SEQ_MIX]
    weights = [w for _, w in _SEQ2SEQ_MIX]
    out: list[tuple[str, str, str]] = []
    for _ in range(config.n_docs):
        kind = r.choices(kinds, weights)[0]
        if kind == "translation":
            out.append(_dictionary_pair(r) if r.random() < 0.15 else _translation_pair(r))
        elif kind == "context_qa":
            passage, question, answer = context_question(r)
            out.append((kind, context_source(passage, question), answer))
        elif kind == "summarization":
            text, summary = story(r)
            out.append((kind, summarize_source(text), summary))
        else:
            positive = r.random() < 0.5
            out.append(
                (
                    kind,
                    sentiment_source(review(r, positive)),
                    "positive" if positive else "negative",
                )
            )
    return out


def heldout_seq2seq(seed: int = 5151, n_items: int = 60) -> dict[str, list[dict[str, str]]]:
    """Held-out (source, target) items per seq2seq task, from a seed training never used.

    Translation items are word lists of the trained words in new combinations, plus the six
    held-out words alone (``heldout_word`` items: learnt only outside the format).
    """
    r = random.Random(seed)
    items: dict[str, list[dict[str, str]]] = {t: [] for t in SEQ2SEQ_TASKS}
    for _ in range(n_items):
        _, src, tgt = _translation_pair(r)
        items["translation"].append({"source": src, "target": tgt})
        passage, question, answer = context_question(r)
        items["context_qa"].append({"source": context_source(passage, question), "target": answer})
        text, summary = story(r)
        items["summarization"].append({"source": summarize_source(text), "target": summary})
        positive = len(items["sentiment"]) % 2 == 0
        label = "positive" if positive else "negative"
        items["sentiment"].append(
            {"source": sentiment_source(review(r, positive)), "target": label}
        )
    items["heldout_word"] = [
        {"source": translate_source(w, lang), "target": TRANSLATIONS[w][lang]}
        for w in HELDOUT_TRANSLATION_WORDS
        for lang in LANGUAGES
    ]
    return items
