// The library's error type. Every error says in its message what was wrong and what was expected;
// it also carries a machine-readable `code` and the `subject` it is about (an option name, a path
// inside a config, a suggested value), so that a caller can phrase it in its own words: the
// command line turns { code: 'invalid-option', subject: { option: 'lr' } } into a message about
// its --lr flag, while the library itself never names a flag.

/** What kind of failure an error reports. */
export type HandgradErrorCode =
  /** Anything without a more specific code. */
  | 'error'
  /** A field of a training config or an optimiser's hyper-parameters (subject.option names it). */
  | 'invalid-option'
  /** A layer config (subject.path is where in it, e.g. "layers[3].inFeatures"). */
  | 'invalid-layer-config'
  /** The loss of a training run became NaN or infinite (subject: lr, suggestedLr, epoch, batch). */
  | 'training-diverged';

/** The thing an error is about: named fields, each a JSON value. */
export type HandgradErrorSubject = Readonly<Record<string, string | number | boolean | null>>;

/**
 * Every error the library throws on bad input: the message names the thing and what was expected;
 * `code` and `subject` say the same for a program (e.g. code 'invalid-option' with
 * `subject.option = 'lr'`).
 */
export class HandgradError extends Error {
  /** The class's name, as `Error.name` (subclasses set their own, e.g. 'LayerError'). */
  override name = 'HandgradError';
  /** What kind of failure this is (default 'error'). */
  readonly code: HandgradErrorCode;
  /** What the error is about: an option name, a path inside a config, a suggested value (default {}). */
  readonly subject: HandgradErrorSubject;

  /** `message` says what was wrong and what was expected; `details` gives the code and the subject. */
  constructor(message: string, details: { code?: HandgradErrorCode; subject?: HandgradErrorSubject } = {}) {
    super(message);
    this.code = details.code ?? 'error';
    this.subject = details.subject ?? {};
  }
}
