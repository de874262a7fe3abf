"use client";

/** Admins: who may use @channel, @here and @everyone in larger channels (the workspace's broadcast policy). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import { Field, FormError } from "~/components/field";
import { useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

export function BroadcastAdmin() {
  const fieldError = useFieldError();
  const t = useTranslations("Broadcast");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.workspace.broadcastPolicy.queryOptions());
  const [policy, setPolicy] = useState<"everyone" | "admins">("everyone");
  const [threshold, setThreshold] = useState("5");
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (current.data) {
      setPolicy(current.data.policy);
      setThreshold(String(current.data.threshold));
    }
  }, [current.data]);
  const save = useMutation(
    trpc.workspace.setBroadcastPolicy.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await refetchFresh(queryClient, trpc.workspace.broadcastPolicy.queryFilter());
      },
    }),
  );
  return (
    <section className="card" aria-labelledby="broadcast-heading">
      <h2 id="broadcast-heading">{t("heading")}</h2>
      <p className="muted">{t("intro")}</p>
      <form
        className="form"
        aria-label={t("form")}
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          // A number the server cannot read (empty, "1e9") goes as is and comes back as a field error.
          save.mutate({ policy, threshold: threshold.trim() === "" ? Number.NaN : Number(threshold) });
        }}
      >
        {/* Disabled until the saved policy is loaded: it would overwrite a choice made before. */}
        <fieldset className="field" disabled={!current.data}>
          <legend>{t("who")}</legend>
          <label className="check">
            <input
              type="radio"
              name="broadcast-policy"
              checked={policy === "everyone"}
              onChange={() => setPolicy("everyone")}
            />
            {t("everyone")}
          </label>
          <label className="check">
            <input
              type="radio"
              name="broadcast-policy"
              checked={policy === "admins"}
              onChange={() => setPolicy("admins")}
            />
            {t("admins")}
          </label>
          {fieldError(save.error, "policy") ? (
            <small className="error field-error">{fieldError(save.error, "policy")}</small>
          ) : null}
        </fieldset>
        <Field
          label={t("threshold")}
          type="number"
          min={0}
          max={100_000}
          step={1}
          disabled={!current.data}
          value={threshold}
          onChange={(e) => setThreshold(e.target.value)}
          hint={t("thresholdHint")}
          error={fieldError(save.error, "threshold")}
        />
        <FormError error={current.error ?? save.error} fields={["policy", "threshold"]} />
        <div className="row" style={{ alignItems: "center" }}>
          <button type="submit" className="primary" disabled={!current.data || save.isPending}>
            {t("save")}
          </button>
          {saved ? <span role="status">{t("saved")}</span> : null}
        </div>
      </form>
    </section>
  );
}
