/** Small inline icons (no icon font or emoji: the build must not depend on system fonts). */
const base = {
  width: 14,
  height: 14,
  viewBox: "0 0 24 24",
  fill: "none",
  stroke: "currentColor",
  strokeWidth: 2.2,
  strokeLinecap: "round" as const,
  strokeLinejoin: "round" as const,
  "aria-hidden": true,
};

export const PauseIcon = ({ size = 12 }: { size?: number }) => (
  <svg {...base} width={size} height={size}>
    <path d="M9 5v14M15 5v14" />
  </svg>
);
export const PlayIcon = () => (
  <svg {...base}>
    <path d="M7 5l12 7-12 7z" fill="currentColor" />
  </svg>
);
export const ForkIcon = () => (
  <svg {...base}>
    <circle cx="6" cy="5" r="2" />
    <circle cx="18" cy="5" r="2" />
    <circle cx="12" cy="19" r="2" />
    <path d="M6 7v2a3 3 0 0 0 3 3h6a3 3 0 0 0 3-3V7M12 12v5" />
  </svg>
);
export const CheckIcon = () => (
  <svg {...base}>
    <path d="M5 12l5 5L20 7" />
  </svg>
);
export const BranchIcon = () => (
  <svg {...base} width={11} height={11}>
    <path d="M6 3v8a4 4 0 0 0 4 4h8M15 12l3 3-3 3" />
  </svg>
);
