"""A signed-in cook's recipes: the list, adding, importing, editing and deleting (confirmed)."""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from recipe_api.db.dependencies import DatabaseDep
from recipe_api.errors import TooManyAttemptsError
from recipe_api.media import service as photos
from recipe_api.media.images import PhotoError, PhotoLimits, PreparedPhoto
from recipe_api.media.router import PhotoLimitsDep
from recipe_api.recipes import service as recipes
from recipe_api.recipes.dependencies import CursorKey, ImporterDep, RecipeId
from recipe_api.recipes.importer import (
    ImportFailedError,
    ImportRefusedError,
    ImportSiteRefusedError,
    ImportTimeoutError,
    ImportUnreachableError,
)
from recipe_api.recipes.imports import service as imports
from recipe_api.recipes.imports.router import limits_from
from recipe_api.recipes.schemas import RecipeCreate, RecipeImport, RecipeOut, RecipeUpdate
from recipe_api.recipes.text import RECIPE_FIELDS, edited_recipe_input, recipe_input, recipe_values
from recipe_api.schemas import MAX_ID
from recipe_api.state import request_state
from recipe_api.web.forms import field_errors, read_form
from recipe_api.web.signed_in import SignedInUser
from recipe_api.web.templating import page

router = APIRouter(include_in_schema=False)


async def editable_recipe(recipe_id: RecipeId, user: SignedInUser, db: DatabaseDep) -> RecipeOut:
    """The recipe an edit or delete form is for; the visitor logs in before learning more."""
    return await recipes.recipe_to_change(db, recipe_id, user=user)


EditableRecipe = Annotated[RecipeOut, Depends(editable_recipe)]


IMPORT_ERRORS = (
    ImportRefusedError,
    ImportFailedError,
    ImportUnreachableError,
    ImportTimeoutError,
    TooManyAttemptsError,
)
# What the edit page says on arrival, by the query parameter the redirect set.
EDIT_NOTICES = {
    "from_idea": "Idea saved as a recipe. Add its ingredients and steps, then save.",
}
CHANGED_NOTICE = (
    "This recipe was changed elsewhere after you opened this page, so your changes "
    "were not saved. They are still below: open the recipe in another tab to compare, "
    "then save again to keep yours."
)
PER_PAGE = 24
MAX_PAGE = 10_000


def _see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=status.HTTP_303_SEE_OTHER)


def _recipe_form(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The recipe form; its hint says how large a photo may be."""
    max_mb = request_state(request).photo_limits.max_bytes >> 20
    return page(request, "recipe_form.html", status_code, photo_max_mb=max_mb, **context)


def _form_again(
    request: Request,
    recipe: RecipeOut | None,
    values: dict[str, str],
    exc: ValidationError | None = None,
    *,
    seen: str | None = None,
    notice: str | None = None,
    photo_error: str | None = None,
    photo: object = None,
) -> HTMLResponse:
    """The form as it was posted: each message beside its field (422), or a notice (409)."""
    errors = field_errors(exc) if exc else {}
    if photo_error:
        errors["photo"] = photo_error
    return _recipe_form(
        request,
        status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_409_CONFLICT,
        recipe=recipe,
        values=values,
        errors=errors,
        seen=seen,
        notice=notice,
        photo=photo,
    )


AGAIN = "Choose the photo again: a browser cannot send it back with the corrected form"


async def _photo_chosen(request: Request) -> str | None:
    """The form came with a photo that a re-shown form cannot keep: what to tell the cook."""
    upload = (await request.form()).get("photo")
    return AGAIN if upload is not None and not isinstance(upload, str) and upload.filename else None


async def _posted_photo(
    request: Request, limits: PhotoLimits
) -> tuple[PreparedPhoto | None, str | None]:
    """The photo chosen on the form, checked and re-encoded; or why it is not taken."""
    form = await request.form()
    upload = form.get("photo")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return None, None
    data = await upload.read(limits.max_bytes + 1)
    try:
        return await photos.prepare(data, limits), None
    except PhotoError as exc:
        return None, exc.detail


@router.get("/my-recipes", response_class=HTMLResponse)
async def my_recipes(
    request: Request,
    db: DatabaseDep,
    user: SignedInUser,
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
    *,
    key: CursorKey,
) -> HTMLResponse:
    found = await recipes.list_recipes_by_submitter(
        db, user.id, skip=(page_number - 1) * PER_PAGE, limit=PER_PAGE, key=key
    )
    return page(
        request,
        "my_recipes.html",
        found=found,
        page_number=page_number,
        has_next=found.skip + len(found.items) < found.total,
        photos=await photos.photos_for(db, found.items),
        notice="Recipe deleted." if "deleted" in request.query_params else None,
    )


@router.get("/my-recipes/new", response_class=HTMLResponse)
async def new_recipe_form(request: Request, user: SignedInUser) -> HTMLResponse:
    return _recipe_form(request, recipe=None, values={}, errors={})


@router.post("/my-recipes/new", response_class=HTMLResponse, response_model=None)
async def add_recipe(
    request: Request, db: DatabaseDep, user: SignedInUser, limits: PhotoLimitsDep
) -> HTMLResponse | RedirectResponse:
    values = await read_form(request, RECIPE_FIELDS)
    try:
        data = RecipeCreate.model_validate(recipe_input(values))
    except ValidationError as exc:
        return _form_again(request, None, values, exc, photo_error=await _photo_chosen(request))
    prepared, photo_error = await _posted_photo(request, limits)
    if photo_error:
        return _form_again(request, None, values, photo_error=photo_error)
    recipe = await recipes.create_recipe(db, data, user=user)
    return await _saved(request, db, user, limits, recipe, prepared)


async def _saved(
    request: Request,
    db: DatabaseDep,
    user: SignedInUser,
    limits: PhotoLimits,
    recipe: RecipeOut,
    prepared: PreparedPhoto | None,
) -> HTMLResponse | RedirectResponse:
    """To the saved recipe; or, when its photo could not be kept, its edit form saying why."""
    if prepared is not None:
        try:
            await photos.save_prepared(
                db, recipe.id, prepared, limits=limits, origin="upload", user=user
            )
        except PhotoError as exc:
            current = await recipes.recipe_to_change(db, recipe.id, user=user)
            return _form_again(
                request,
                current,
                recipe_values(current),
                seen=recipes.fingerprint(current),
                notice="The recipe is saved, but not its photo.",
                photo_error=exc.detail,
            )
    return _see_other(f"/recipes/{recipe.id}?saved=1")


@router.get("/my-recipes/import", response_class=HTMLResponse)
async def import_form(request: Request, user: SignedInUser) -> HTMLResponse:
    return _import_page(request, {}, {})


@router.post("/my-recipes/import", response_class=HTMLResponse, response_model=None)
async def import_recipe(
    request: Request, db: DatabaseDep, user: SignedInUser, importer: ImporterDep
) -> HTMLResponse | RedirectResponse:
    """The link form (``url``) or the paste form (``url`` and the page's ``html``)."""
    values = await read_form(request, ("url", "html"))
    html = values["html"] or None
    try:
        url = str(RecipeImport.model_validate({"url": values["url"].strip()}).url)
    except ValidationError as exc:
        return _import_page(request, values, field_errors(exc), 422)
    try:
        recipe = await recipes.import_recipe(db, importer, url, user=user, html=html)
    except IMPORT_ERRORS as exc:
        name = "html" if html is not None else "url"
        return _import_page(
            request, values, {name: exc.detail}, exc.status_code, headers=exc.headers, error=exc
        )
    await photos.bring_photo(db, importer, recipe, request_state(request).photo_limits)
    return _see_other(f"/recipes/{recipe.id}?imported=1")


@router.post("/my-recipes/import/page", response_class=HTMLResponse)
async def page_received(request: Request, importer: ImporterDep) -> HTMLResponse:
    """What the bookmarklet sent from the recipe's site: shown, not read, not saved.

    This post comes from another site, so the browser sends no session with it
    and the CSRF check lets it through (decision 0010): it only shows the cook
    the page that arrived, with a button that sends it on from our own page.
    """
    values = await read_form(request, ("url", "html"))
    errors: dict[str, str] = {}
    try:
        RecipeImport.model_validate({"url": values["url"].strip()})
    except ValidationError as exc:
        errors = field_errors(exc)
    size = len(values["html"].encode())
    if not values["html"]:
        errors["html"] = "No page arrived: run the bookmarklet on the recipe's page"
    elif size > importer.max_bytes:
        errors["html"] = f"The page is larger than {importer.max_bytes:,} bytes, more than we read"
    status_code = 422 if errors else 200
    return page(
        request, "recipe_import_page.html", status_code, values=values, errors=errors, size=size
    )


@router.get("/my-recipes/import/page/read", response_class=HTMLResponse, response_model=None)
async def after_logging_in_to_read(user: SignedInUser) -> RedirectResponse:
    """Where logging in returns a cook who pressed "Read the recipe" logged out.

    The page itself was in that post and is gone: back to the import page,
    whose bookmarklet sends it again.
    """
    return _see_other("/my-recipes/import#bookmarklet")


@router.post("/my-recipes/import/page/read", response_class=HTMLResponse)
async def read_received_page(
    request: Request, user: SignedInUser, importer: ImporterDep
) -> HTMLResponse:
    """The recipe read from the page, in the new-recipe form: saved only when the cook adds it."""
    values = await read_form(request, ("url", "html"))
    try:
        url = str(RecipeImport.model_validate({"url": values["url"].strip()}).url)
    except ValidationError as exc:
        return _import_page(request, values, field_errors(exc), 422)
    try:
        data = await recipes.read_import(importer, url, user=user, html=values["html"])
    except IMPORT_ERRORS as exc:
        return _import_page(
            request, values, {"html": exc.detail}, exc.status_code, headers=exc.headers, error=exc
        )
    preview = RecipeOut.model_construct(**data.model_dump(mode="json"))
    return _recipe_form(
        request,
        recipe=None,
        values={**recipe_values(preview), "url": str(data.url or ""), "sharing": "private"},
        errors={},
        notice=f"Read from {url}. Check it, then press “Add recipe” to import it.",
    )


@router.post("/my-recipes/import/archive", response_class=HTMLResponse, response_model=None)
async def import_archive(
    request: Request, db: DatabaseDep, user: SignedInUser
) -> HTMLResponse | RedirectResponse:
    """Another app's export (or JSON-LD files): a job, whose progress page the cook is sent to."""
    form = await request.form()
    uploads = [
        (upload.filename or "upload", await upload.read())
        for upload in form.getlist("files")
        if isinstance(upload, UploadFile) and upload.filename
    ]
    if not uploads:
        return _import_page(request, {}, {"files": "Choose the export file to upload"}, 422)
    limits = limits_from(request_state(request).settings)
    try:
        job = await imports.start_import(db, uploads, user=user, limits=limits)
    except (imports.ImportTooLargeError, imports.ImportUnreadableError) as exc:
        return _import_page(request, {}, {"files": exc.detail}, exc.status_code)
    request_state(request).import_runner.wake()
    return _see_other(f"/my-recipes/import/jobs/{job.id}")


@router.get("/my-recipes/import/jobs/{job_id}", response_class=HTMLResponse)
async def import_progress(
    request: Request,
    db: DatabaseDep,
    user: SignedInUser,
    job_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> HTMLResponse:
    """How far the import is; the page reloads itself (no script) until it is done."""
    job = await imports.get_import(db, job_id, user=user)
    return page(request, "recipe_import_job.html", job=job, done=job.status == "done")


@router.get("/my-recipes/archive", response_model=None)
async def download_archive(db: DatabaseDep, user: SignedInUser) -> Response:
    """All the cook's recipes as one zip they can import here or elsewhere."""
    archive = await imports.recipe_box(db, user=user)
    return Response(
        archive,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="my-recipes.zip"'},
    )


def _import_page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    error: Exception | None = None,
) -> HTMLResponse:
    action = f"{str(request.base_url).rstrip('/')}/my-recipes/import/page"
    return page(
        request,
        "recipe_import.html",
        status_code,
        headers,
        values=values,
        errors=errors,
        refused=isinstance(error, ImportSiteRefusedError),
        bookmarklet=bookmarklet(action),
        upload_max_mb=request_state(request).settings.import_upload_max_mb,
    )


def bookmarklet(action: str) -> str:
    """A ``javascript:`` link that posts the open page and its address to ``action`` in a new tab.

    A form, not fetch(): a top-level navigation is what the recipe site's
    content security policy and our CSRF check both expect (decision 0010).
    No "%" in it: a browser percent-decodes a javascript: link before running it.
    """
    return (
        "javascript:(function(){var f=document.createElement('form');"
        f"f.method='post';f.action={json.dumps(action)};f.target='_blank';"
        "f.acceptCharset='utf-8';f.style.display='none';"
        "[['url',location.href],['html',document.documentElement.outerHTML]]"
        ".forEach(function(p){var t=document.createElement('textarea');"
        "t.name=p[0];t.value=p[1];f.appendChild(t);});"
        "document.body.appendChild(f);f.submit();f.remove();})();"
    )


@router.get("/recipes/{recipe_id}/edit", response_class=HTMLResponse)
async def edit_recipe_form(
    request: Request, recipe: EditableRecipe, db: DatabaseDep
) -> HTMLResponse:
    notice = next((text for key, text in EDIT_NOTICES.items() if key in request.query_params), None)
    if "photo_removed" in request.query_params:
        notice = "Photo removed."
    return _recipe_form(
        request,
        recipe=recipe,
        values=recipe_values(recipe),
        errors={},
        notice=notice,
        seen=recipes.fingerprint(recipe),
        photo=(await photos.photos_for(db, [recipe])).get(recipe.id),
    )


@router.post("/recipes/{recipe_id}/photo/delete", response_model=None)
async def remove_photo(
    recipe_id: RecipeId, user: SignedInUser, db: DatabaseDep
) -> RedirectResponse:
    # Removed already (a second press, another tab): the same page.
    with contextlib.suppress(photos.NoPhotoError):
        await photos.remove_photo(db, recipe_id, user=user)
    return _see_other(f"/recipes/{recipe_id}/edit?photo_removed=1")


@router.post("/recipes/{recipe_id}/edit", response_class=HTMLResponse, response_model=None)
async def edit_recipe(
    request: Request,
    recipe: EditableRecipe,
    user: SignedInUser,
    db: DatabaseDep,
    limits: PhotoLimitsDep,
) -> HTMLResponse | RedirectResponse:
    values = await read_form(request, (*RECIPE_FIELDS, "seen"))
    seen = values.pop("seen") or None  # absent from a form older than the check
    photo = (await photos.photos_for(db, [recipe])).get(recipe.id)
    try:
        # Every field is on the form: the full validation of a new recipe applies,
        # and the recipe becomes what the form says (an emptied field is cleared).
        data = RecipeCreate.model_validate(edited_recipe_input(values, recipe))
    except ValidationError as exc:
        again = await _photo_chosen(request)
        return _form_again(request, recipe, values, exc, seen=seen, photo=photo, photo_error=again)
    prepared, photo_error = await _posted_photo(request, limits)
    if photo_error:
        return _form_again(request, recipe, values, seen=seen, photo_error=photo_error, photo=photo)
    try:
        # The ownership and the version are checked again inside the write's unit of work.
        await recipes.replace_recipe(db, recipe.id, data, user=user, seen=seen)
    except recipes.RecipeChangedError:
        # Changed elsewhere meanwhile: nothing saved over it. The cook's text stays
        # on the form; saving it again (now against the new version) replaces it.
        current = await recipes.recipe_to_change(db, recipe.id, user=user)
        seen = recipes.fingerprint(current)
        return _form_again(request, current, values, seen=seen, notice=CHANGED_NOTICE, photo=photo)
    return await _saved(request, db, user, limits, recipe, prepared)


@router.post("/recipes/{recipe_id}/sharing", response_model=None)
async def change_sharing(
    request: Request, recipe_id: RecipeId, user: SignedInUser, db: DatabaseDep
) -> RedirectResponse:
    """The recipe page's "Keep private" / "Share publicly" button."""
    values = await read_form(request, ("sharing",))
    private = values["sharing"] != "public"
    # The ownership is checked inside the write's unit of work (404 and 403 as pages).
    await recipes.update_recipe(db, recipe_id, RecipeUpdate(private=private), user=user)
    return _see_other(f"/recipes/{recipe_id}?{'private' if private else 'shared'}=1")


@router.get("/recipes/{recipe_id}/delete", response_class=HTMLResponse)
async def delete_recipe_confirmation(request: Request, recipe: EditableRecipe) -> HTMLResponse:
    return page(request, "recipe_delete.html", recipe=recipe)


@router.post("/recipes/{recipe_id}/delete", response_model=None)
async def delete_recipe(
    recipe_id: RecipeId, user: SignedInUser, db: DatabaseDep
) -> RedirectResponse:
    # One unit of work: the ownership check beside the delete (404 and 403 as pages).
    await recipes.delete_recipe(db, recipe_id, user=user)
    return _see_other("/my-recipes?deleted=1")
