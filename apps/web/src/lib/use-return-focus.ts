"use client";

import { useEffect, useState } from "react";

/**
 * Focus goes back to what had it when the calling component mounted (a dialog's or a panel's
 * opener) once it unmounts, if that element is still on the page and nothing else took focus
 * meanwhile (focus left on the body or inside the closed component). A component that navigates
 * away lets the new page decide instead (usePicker's `leave`).
 */
export function useReturnFocus(): void {
  // Read while rendering: by the first effect a child's autoFocus may have taken focus already.
  const [opener] = useState(() => (typeof document === "undefined" ? null : document.activeElement));
  useEffect(() => {
    return () => {
      if (!(opener instanceof HTMLElement) || opener === document.body) return;
      // After React has removed the closed component (its focused element is gone by then).
      requestAnimationFrame(() => {
        const now = document.activeElement;
        if (now && now !== document.body) return;
        if (opener.isConnected) opener.focus();
      });
    };
  }, [opener]);
}
