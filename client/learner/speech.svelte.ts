/**
 * "Nghe": reads text aloud with the browser's speech synthesis, in Vietnamese only (lessons are
 * written in Vietnamese whatever the interface language), and only when a Vietnamese voice exists:
 * `available` stays false otherwise, and the button is not shown. Voices often arrive late
 * (`voiceschanged`).
 */
class Speech {
  #voice = $state.raw<SpeechSynthesisVoice | undefined>();
  #now = $state.raw<SpeechSynthesisUtterance | null>(null);

  constructor() {
    const synth = globalThis.speechSynthesis;
    if (!synth) return;
    const pick = (): void => {
      this.#voice = synth.getVoices().find((v) => /^vi\b/i.test(v.lang));
    };
    pick();
    synth.onvoiceschanged = pick;
  }

  get available(): boolean {
    return !!this.#voice;
  }

  get speaking(): boolean {
    return !!this.#now;
  }

  say(text: string): void {
    this.stop();
    const u = new SpeechSynthesisUtterance(text);
    u.voice = this.#voice!;
    u.lang = 'vi-VN';
    u.rate = 0.9;
    // A cancelled utterance ends late: only the current one may say it is over.
    u.onend = u.onerror = () => {
      if (this.#now === u) this.#now = null;
    };
    this.#now = u;
    speechSynthesis.speak(u);
  }

  stop(): void {
    if (!this.#now) return;
    this.#now = null;
    speechSynthesis.cancel();
  }
}

export const speech = new Speech();
