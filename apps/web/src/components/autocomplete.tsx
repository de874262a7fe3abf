"use client";

import type { ReactNode } from "react";

/** The id of option `index` of the listbox `listId` (for the input's aria-activedescendant). */
export function optionId(listId: string, index: number): string {
  return `${listId}-option-${index}`;
}

/**
 * The popup list of an ARIA combobox whose input keeps focus: the input owns the keys (↑/↓, Enter,
 * Tab, Escape) and points at the active option with aria-activedescendant; a click picks an option
 * without taking focus from the input.
 */
export function Autocomplete<T>({
  id,
  label,
  options,
  activeIndex,
  getKey,
  renderOption,
  onPick,
  onHover,
}: {
  id: string;
  label: string;
  options: readonly T[];
  activeIndex: number;
  getKey: (option: T) => string;
  renderOption: (option: T) => ReactNode;
  onPick: (option: T) => void;
  onHover: (index: number) => void;
}) {
  return (
    <div className="autocomplete" role="listbox" id={id} aria-label={label}>
      {options.map((option, i) => (
        <div
          key={getKey(option)}
          id={optionId(id, i)}
          role="option"
          aria-selected={i === activeIndex}
          tabIndex={-1}
          className={i === activeIndex ? "active" : undefined}
          // mousedown, not click: picking must not move focus out of the input first.
          onMouseDown={(e) => {
            e.preventDefault();
            onPick(option);
          }}
          onMouseMove={() => {
            if (i !== activeIndex) onHover(i);
          }}
        >
          {renderOption(option)}
        </div>
      ))}
    </div>
  );
}
