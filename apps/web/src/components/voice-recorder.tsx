"use client";

/**
 * Records a voice message with MediaRecorder: a "Record voice message" button asks for the
 * microphone, then shows the elapsed time and a live level meter with Stop (keep) and Cancel. The
 * peaks measured while recording become the message's waveform, and the measured duration is sent
 * along (Chromium's WebM recordings carry no duration to read back).
 */
import { useTranslations } from "next-intl";
import { useEffect, useRef, useState } from "react";
import type { TAudioMeta } from "~/lib/upload";
import { formatDuration } from "./attachments";

/** Points of a stored waveform. */
const WAVEFORM_POINTS = 48;

/** Reduces many 0–1 peaks to `points` levels 0–255 (the max of each bucket, scaled to the loudest). */
export function toWaveform(peaks: readonly number[], points = WAVEFORM_POINTS): number[] {
  if (peaks.length === 0) return [];
  const out: number[] = [];
  const per = peaks.length / points;
  for (let i = 0; i < Math.min(points, peaks.length); i++) {
    const from = Math.floor(i * Math.max(per, 1));
    const to = Math.max(from + 1, Math.floor((i + 1) * Math.max(per, 1)));
    out.push(Math.max(...peaks.slice(from, to)));
  }
  const loudest = Math.max(...out, 0.01);
  return out.map((p) => Math.round((p / loudest) * 255));
}

function pickMimeType(): string {
  for (const type of ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"]) {
    if (typeof MediaRecorder !== "undefined" && MediaRecorder.isTypeSupported(type)) return type;
  }
  return "";
}

type TRecording = {
  recorder: MediaRecorder;
  stream: MediaStream;
  audio: AudioContext;
  timer: ReturnType<typeof setInterval>;
  startedAt: number;
  /** When the reader stopped it (the encoder's last data and `onstop` come later, later still on a busy machine). */
  stoppedAt?: number;
  peaks: number[];
  chunks: Blob[];
  keep: boolean;
};

export function VoiceRecorder({
  onRecorded,
  isDisabled,
}: {
  onRecorded: (file: File, meta: TAudioMeta) => void;
  isDisabled?: boolean;
}) {
  const t = useTranslations("Voice");
  const [state, setState] = useState<"idle" | "starting" | "recording">("idle");
  const [elapsed, setElapsed] = useState(0);
  const [level, setLevel] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const rec = useRef<TRecording | null>(null);

  const finish = (keep: boolean) => {
    const r = rec.current;
    if (!r) return;
    r.keep = keep;
    r.stoppedAt ??= performance.now();
    clearInterval(r.timer);
    if (r.recorder.state !== "inactive") r.recorder.stop();
  };

  // Unmounting mid-recording drops the recording and releases the microphone.
  // biome-ignore lint/correctness/useExhaustiveDependencies: finish reads only the ref
  useEffect(() => () => finish(false), []);

  async function start() {
    setError(null);
    if (typeof MediaRecorder === "undefined" || !navigator.mediaDevices?.getUserMedia) {
      setError(t("unsupported"));
      return;
    }
    setState("starting");
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      setState("idle");
      setError(t("denied"));
      return;
    }
    const mimeType = pickMimeType();
    const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
    const audio = new AudioContext();
    const analyser = audio.createAnalyser();
    analyser.fftSize = 1024;
    audio.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const r: TRecording = {
      recorder,
      stream,
      audio,
      startedAt: performance.now(),
      peaks: [],
      chunks: [],
      keep: false,
      timer: setInterval(() => {
        analyser.getFloatTimeDomainData(samples);
        let peak = 0;
        for (const s of samples) peak = Math.max(peak, Math.abs(s));
        r.peaks.push(Math.min(1, peak));
        setLevel(peak);
        setElapsed(performance.now() - r.startedAt);
      }, 100),
    };
    rec.current = r;
    recorder.ondataavailable = (e) => {
      if (e.data.size > 0) r.chunks.push(e.data);
    };
    recorder.onstop = () => {
      const durationMs = Math.round((r.stoppedAt ?? performance.now()) - r.startedAt);
      for (const track of r.stream.getTracks()) track.stop();
      void r.audio.close();
      rec.current = null;
      setState("idle");
      setElapsed(0);
      setLevel(0);
      if (!r.keep) return;
      const type = (recorder.mimeType || mimeType || "audio/webm").split(";")[0] ?? "audio/webm";
      const ext = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
      const blob = new Blob(r.chunks, { type });
      if (blob.size === 0) {
        setError(t("empty"));
        return;
      }
      const file = new File([blob], `Voice message.${ext}`, { type });
      onRecorded(file, { durationMs, waveform: toWaveform(r.peaks) });
    };
    recorder.start(250);
    setState("recording");
  }

  if (state === "recording") {
    return (
      // biome-ignore lint/a11y/useSemanticElements: live recording controls, not a form
      <div className="voice-recorder" role="group" aria-label={t("recording")}>
        <span className="rec-dot" aria-hidden="true" />
        <span className="voice-time" role="timer" aria-label={t("time")}>
          {formatDuration(elapsed)}
        </span>
        <span className="rec-level" aria-hidden="true">
          <span style={{ width: `${Math.min(100, Math.round(level * 140))}%` }} />
        </span>
        <button type="button" className="primary" onClick={() => finish(true)}>
          {t("stop")}
        </button>
        <button type="button" onClick={() => finish(false)}>
          {t("cancel")}
        </button>
      </div>
    );
  }
  return (
    <>
      <button
        type="button"
        className="quiet icon-button"
        aria-label={t("record")}
        title={t("record")}
        disabled={isDisabled || state === "starting"}
        onClick={() => void start()}
      >
        <span aria-hidden="true">🎤</span>
      </button>
      {error ? (
        <span role="alert" className="error">
          {error}
        </span>
      ) : null}
    </>
  );
}
