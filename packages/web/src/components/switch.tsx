// An on/off switch: a real button (keyboard, focus) with role="switch" and its state in aria-checked.
export function Switch(props: { label: string; checked: boolean; disabled?: boolean; onChange: (on: boolean) => void }) {
  return (
    <button
      type="button"
      role="switch"
      class="switch"
      aria-checked={props.checked}
      aria-label={props.label}
      disabled={props.disabled ?? false}
      onClick={() => props.onChange(!props.checked)}
    >
      <span class="knob" aria-hidden="true" />
    </button>
  );
}
