"""The one page registry: app.py's navigation, Home's lifecycle and the tests all read it.

The sidebar's sections are the lifecycle's stages, in the order Home lists them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    """One page of the playground."""

    path: str  # the script, relative to the project root
    title: str  # sidebar and link label
    icon: str  # a material icon (rendered locally, no CDN)
    stage: str  # the lifecycle stage, also the sidebar section
    blurb: str  # Home's one line about it

    @property
    def url_path(self) -> str:
        """The page's URL, e.g. ``/sampling`` (Home is ``/``)."""
        name = self.path.removeprefix("pages/").removesuffix(".py")
        return "/" if name == "home" else f"/{name}"


HOME = PageInfo("pages/home.py", "Home", ":material/home:", "Start", "")

PAGES: tuple[PageInfo, ...] = (
    HOME,
    PageInfo(
        "pages/lessons.py",
        "Lessons",
        ":material/school:",
        "Start",
        "Guided lessons for a class: each step opens a page, set up by the teacher.",
    ),
    PageInfo(
        "pages/classroom.py",
        "Class",
        ":material/groups:",
        "Start",
        "Open a class with a code; students join and their predictions pool live.",
    ),
    PageInfo(
        "pages/tokenizer.py",
        "Tokenizer",
        ":material/text_fields:",
        "1. Select a model",
        "See how text becomes tokens, and what each token costs.",
    ),
    PageInfo(
        "pages/embeddings.py",
        "Embeddings",
        ":material/scatter_plot:",
        "1. Select a model",
        "Tokens and sentences as vectors, positions, and one forward pass step by step.",
    ),
    PageInfo(
        "pages/attention.py",
        "Attention",
        ":material/grid_on:",
        "1. Select a model",
        "Look inside: which words each attention head connects.",
    ),
    PageInfo(
        "pages/families.py",
        "Model families",
        ":material/account_tree:",
        "1. Select a model",
        "Encoder, decoder, encoder-decoder: the same items on each, measured side by side.",
    ),
    PageInfo(
        "pages/sampling.py",
        "Sampling",
        ":material/casino:",
        "2. Prompt",
        "Turn next-token probabilities into text: temperature, top-k, top-p.",
    ),
    PageInfo(
        "pages/prompting.py",
        "Prompt shots",
        ":material/chat:",
        "2. Prompt",
        "Zero-, one- and few-shot prompts, scored on held-out items.",
    ),
    PageInfo(
        "pages/lora.py",
        "LoRA fine-tune",
        ":material/tune:",
        "3. Fine-tune",
        "Train a low-rank adapter on a real model and compare before and after.",
    ),
    PageInfo(
        "pages/align.py",
        "Align (DPO)",
        ":material/thumbs_up_down:",
        "3. Fine-tune",
        "Preference pairs, a reward model, best-of-n and DPO on a KL leash to the reference.",
    ),
    PageInfo(
        "pages/metrics.py",
        "ROUGE / BLEU",
        ":material/rule:",
        "4. Evaluate",
        "Score generated text against references, and see where scores mislead.",
    ),
    PageInfo(
        "pages/quantization.py",
        "Quantization",
        ":material/compress:",
        "5. Optimize",
        "Shrink the weights to 16, 8 or 4 bits and measure what it costs.",
    ),
    PageInfo(
        "pages/optimize.py",
        "Distil & prune",
        ":material/content_cut:",
        "5. Optimize",
        "Distillation, pruning and quantization, measured side by side in one table.",
    ),
    PageInfo(
        "pages/rag.py",
        "RAG chat",
        ":material/library_books:",
        "6. Augment with retrieval",
        "Ground answers in your documents, with citations.",
    ),
    PageInfo(
        "pages/agents.py",
        "Reasoning & tools",
        ":material/handyman:",
        "7. Augment with reasoning and tools",
        "Chain of thought, program-aided answers and ReAct agents with real tools, measured.",
    ),
)


def stages() -> dict[str, list[PageInfo]]:
    """The pages grouped by stage, in registry order (the sidebar's sections).

    >>> list(stages())[:3]
    ['Start', '1. Select a model', '2. Prompt']
    """
    grouped: dict[str, list[PageInfo]] = {}
    for page in PAGES:
        grouped.setdefault(page.stage, []).append(page)
    return grouped
