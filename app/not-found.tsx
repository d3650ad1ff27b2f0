import Link from "next/link";

export default function NotFound() {
  return (
    <div className="mx-auto max-w-md p-10 text-center">
      <h1 className="text-lg font-semibold">Not found</h1>
      <p className="mt-2 text-sm text-slate-500">There is no page here.</p>
      <Link href="/" className="mt-4 inline-block text-sm text-indigo-700 hover:underline">
        ← All threads
      </Link>
    </div>
  );
}
