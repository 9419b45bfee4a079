// Inline icons (no icon font to load): each is decorative, the text next to it says what it means.
export function CloudAlertIcon({ size = 22 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path
        d="M7 18.5h10.5a4 4 0 0 0 .6-7.95A6 6 0 0 0 6.6 9.1 4.7 4.7 0 0 0 7 18.5z"
        fill="none"
        stroke="currentColor"
        stroke-width="1.8"
        stroke-linejoin="round"
      />
      <path d="M12 8.8v4.6" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
      <circle cx="12" cy="15.9" r="1.15" fill="currentColor" />
    </svg>
  );
}

export function CloudIcon({ size = 26 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M7 18.5h10.5a4 4 0 0 0 .6-7.95A6 6 0 0 0 6.6 9.1 4.7 4.7 0 0 0 7 18.5z" fill="currentColor" />
    </svg>
  );
}
