import { useRef, useState } from 'preact/hooks';
import { t } from './i18n.js';
import { centreCrop, type CropRect, type PickedImage } from './images.js';

const clamp = (n: number) => Math.min(1, Math.max(0, n));

/**
 * Drag a rectangle over the photo to choose what to keep; Apply without dragging keeps the central 80 %.
 * Pointer events, so a finger on a phone works like a mouse.
 */
export function CropDialog({
  image,
  onApply,
  onCancel,
}: {
  image: PickedImage;
  onApply: (rect: CropRect) => void;
  onCancel: () => void;
}) {
  const frame = useRef<HTMLDivElement>(null);
  const [rect, setRect] = useState<CropRect>(centreCrop());
  const start = useRef<{ x: number; y: number } | null>(null);

  const at = (e: PointerEvent) => {
    const box = frame.current!.getBoundingClientRect();
    return { x: clamp((e.clientX - box.left) / box.width), y: clamp((e.clientY - box.top) / box.height) };
  };

  return (
    <div class="crop-dialog" role="dialog" aria-modal="true" aria-label={t('crop')}>
      <div
        ref={frame}
        class="crop-frame"
        onPointerDown={(e) => {
          (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
          start.current = at(e);
        }}
        onPointerMove={(e) => {
          if (!start.current) return;
          const p = at(e);
          const s = start.current;
          setRect({
            x: Math.min(s.x, p.x),
            y: Math.min(s.y, p.y),
            width: Math.abs(p.x - s.x),
            height: Math.abs(p.y - s.y),
          });
        }}
        onPointerUp={() => (start.current = null)}
      >
        <img src={image.url} alt={image.name} draggable={false} />
        <div
          class="crop-rect"
          style={{
            left: `${rect.x * 100}%`,
            top: `${rect.y * 100}%`,
            width: `${rect.width * 100}%`,
            height: `${rect.height * 100}%`,
          }}
        />
      </div>
      <div class="toolbar">
        <button
          type="button"
          class="primary"
          disabled={rect.width < 0.02 || rect.height < 0.02}
          onClick={() => onApply(rect)}
        >
          {t('apply')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('cancel')}
        </button>
      </div>
    </div>
  );
}
