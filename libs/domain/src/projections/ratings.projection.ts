import type { Projection } from './projection';

export type RatingView = {
  taskId: string;
  expertId: string;
  quality: number;
  alignment: number;
  flags: string[];
  comment: string;
  msSpent: number;
  ratedAt: string;
  position: number;
};

/** All standing ratings of one image, in the order they were recorded. Retracted ones are removed. */
export type ImageRatings = { imageId: string; ratings: RatingView[] };

export const ratingsByImageProjection: Projection<ImageRatings, 'RatingSubmitted' | 'RatingRetracted'> = {
  name: 'ratingsByImage',
  canHandle: ['RatingSubmitted', 'RatingRetracted'],
  documentId: (event) => event.data.imageId,
  evolve(doc, event) {
    const current = doc ?? { imageId: event.data.imageId, ratings: [] };
    switch (event.type) {
      case 'RatingSubmitted': {
        const { taskId, expertId, quality, alignment, flags, comment, msSpent } = event.data;
        const rating: RatingView = { taskId, expertId, quality, alignment, flags, comment, msSpent, ratedAt: event.metadata.occurredAt, position: event.position };
        return { ...current, ratings: [...current.ratings, rating] };
      }
      case 'RatingRetracted': {
        const ratings = current.ratings.filter((r) => !(r.taskId === event.data.taskId && r.expertId === event.data.expertId));
        return ratings.length === 0 ? null : { ...current, ratings };
      }
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
};

/** An expert sees only their own ratings. */
export function ratingsOfExpert(byImage: Record<string, ImageRatings>, expertId: string): (RatingView & { imageId: string })[] {
  return Object.values(byImage)
    .flatMap((doc) => doc.ratings.filter((r) => r.expertId === expertId).map((r) => ({ ...r, imageId: doc.imageId })))
    .sort((a, b) => a.position - b.position);
}
